"""``make test``: lint, the production configuration check, then the whole suite against
a real PostgreSQL server:

1. ``DATABASE_URL`` when it is set;
2. otherwise the server on 127.0.0.1:5432 when one answers (user ``postgres``);
3. otherwise the embedded PostgreSQL from the wheel, in a throw-away directory;

and the S3-compatible test server (s3rver), started on a free loopback port; and, after
the suite, the guide (docs/) built with ``mkdocs build --strict``, showing the screenshots
this run's browser journeys took (``avataq.dev.guide``).

Extra arguments go to pytest (``make test ARGS="-k import -x"``).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from avataq.dev import guide, postgres, s3server

BASE_DIR = Path(__file__).resolve().parents[2]
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# One name per run, so two suites on one server (a developer's and CI's) never share
# pytest-django's test_<name> database.
TEST_DATABASE = f"avataq_{os.getpid()}"


def resolve_database() -> tuple[str, object | None]:
    """(DATABASE_URL for the suite, embedded server to stop afterwards or None)."""
    if os.environ.get("DATABASE_URL"):
        print("make test: PostgreSQL from DATABASE_URL", flush=True)
        return os.environ["DATABASE_URL"], None
    if postgres.tcp_answers("127.0.0.1", 5432) and postgres.can_connect(LOCAL_SERVER):
        print("make test: PostgreSQL on 127.0.0.1:5432", flush=True)
        return LOCAL_SERVER.rsplit("/", 1)[0] + f"/{TEST_DATABASE}", None
    print("make test: no PostgreSQL answers; starting the embedded one", flush=True)
    pgdata = Path(tempfile.mkdtemp(prefix="avataq-test-")) / "pg"
    server = postgres.start_embedded(pgdata, delete_on_exit=True)
    return postgres.embedded_url(pgdata, TEST_DATABASE), server


def production_environment(database_url: str) -> dict[str, str]:
    """A complete full-mode configuration (no secret: a fresh random key each run)."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BANK_DETAILS_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "avataq.example.org",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "AWS_STORAGE_BUCKET_NAME": "avataq-documents",
        "AWS_S3_REGION_NAME": "ca-central-1",
        "EMAIL_URL": "smtp+tls://mail.example.org:587",
        "PORTAL_BASE_URL": "https://avataq.example.org",
    }


def run(step: str, command: list[str], env: dict[str, str]) -> int:
    print(f"\n== {step}: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=BASE_DIR, env=env).returncode


@contextmanager
def suite_environment(database_url: str) -> Iterator[dict[str, str]]:
    """The environment pytest runs in: development mode on ``database_url``, and the S3
    test server (started here, stopped afterwards; the S3 tests say they skip without it)."""
    test_env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url}
    s3 = s3server.start()
    if isinstance(s3, str):
        print(f"make test: {s3}; the S3 tests will be skipped", flush=True)
        test_env["AVATAQ_TEST_S3_UNAVAILABLE"] = s3
    else:
        print(f"make test: S3 test server (s3rver) at {s3.endpoint}", flush=True)
        test_env["AVATAQ_TEST_S3_ENDPOINT"] = s3.endpoint
    try:
        yield test_env
    finally:
        if not isinstance(s3, str):
            s3.stop()


def main(pytest_args: list[str]) -> int:
    bin_dir = Path(sys.executable).parent
    database_url, server = resolve_database()
    try:
        if run("lint", [str(bin_dir / "ruff"), "check", "."], dict(os.environ)):
            return 1
        if run("format", [str(bin_dir / "ruff"), "format", "--check", "."], dict(os.environ)):
            return 1
        deploy_check = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        if run("deploy check", deploy_check, production_environment(database_url)):
            return 1
        with (
            suite_environment(database_url) as test_env,
            tempfile.TemporaryDirectory(prefix="avataq-shots-") as shots,
        ):
            # The browser journeys take the guide's screenshots as they go, so the guide
            # built below shows the screens of this very commit.
            test_env[guide.SCREENSHOTS_VARIABLE] = shots
            failed = run("tests", [sys.executable, "-m", "pytest", *pytest_args], test_env)
            return guide.check(fresh_screenshots=Path(shots)) or failed
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
