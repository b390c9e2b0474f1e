"""`make bench` runs every benchmark; `make bench ARGS="seed"` runs the named ones.

Each benchmark runs in a process of its own (``python -m bench.<name>``) given a fresh
copy of the environment `make bench` was started with: a benchmark sets Django up with a
configuration of its own (a bucket, ``DEBUG`` off, a database), and none of that may
reach the next one. A benchmark that fails is reported, the others still run, and the
exit status is 1.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    "seed",
    "documents",
    "backup",
    "billing",
    "reconciliation",
    "reconcile_page",
    "statement_import",
    "portal",
    "payment_run",
    "odoo_import",
    "load",
]


def main(names: list[str]) -> int:
    for name in names:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    environment = dict(os.environ)  # taken once: each benchmark gets its own copy
    failed = []
    for name in names or BENCHMARKS:
        print(f"== bench/{name}.py", flush=True)
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"], cwd=BASE_DIR, env=dict(environment)
        )
        if run.returncode != 0:
            failed.append(name)
            print(f"== bench/{name}.py FAILED (exit status {run.returncode})", flush=True)
        else:
            print(f"== bench/{name}.py done in {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
