"""``make run``: the embedded default. Starts the embedded PostgreSQL (data under
``.data/``, reused next time), migrates, loads the demo data once, prints the demo
logins and serves on http://127.0.0.1:8000. Ctrl-C stops the server and the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from avataq import embedded
from avataq.dev import postgres

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_STUDENTS = "400"


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, check=True)


def main() -> int:
    data_dir = Path(os.environ.get("AVATAQ_DATA_DIR", BASE_DIR / ".data"))
    data_dir.mkdir(exist_ok=True)
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "AVATAQ_DATA_DIR": str(data_dir)}
    server = None
    if not env.get("DATABASE_URL"):
        print("Starting the embedded PostgreSQL (data in .data/pg)…", flush=True)
        server = postgres.start_embedded(data_dir / "pg")
        postgres.ensure_database(server.get_uri(), embedded.DATABASE_NAME)
    try:
        manage("migrate", "--noinput", env=env)
        marker = data_dir / "demo-seeded"
        if not marker.exists():
            manage("seed_demo", "--students", DEMO_STUDENTS, env=env)
            marker.write_text("seed_demo has run; delete this file to run it again.\n")
        manage("demo_logins", env=env)
        manage("demo_student_login", env=env)
        print(
            "Serving on http://127.0.0.1:8000 (student portal: /, admin: /admin/). Ctrl-C stops.",
            flush=True,
        )
        child = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "runserver", "127.0.0.1:8000"], env=env
        )
        try:
            return child.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the whole process group; let the server finish first.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            child.wait()
            return 0
    except subprocess.CalledProcessError as exc:
        print(f"make run: {' '.join(exc.cmd[1:3])} failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            print("Stopping the embedded PostgreSQL…", flush=True)
            postgres.stop_embedded(server)


if __name__ == "__main__":
    sys.exit(main())
