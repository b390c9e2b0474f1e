"""`make bench` runs every benchmark; `make bench ARGS="seed"` runs the named ones."""

import importlib
import sys

BENCHMARKS = [
    "seed",
    "documents",
    "backup",
    "billing",
    "reconciliation",
    "reconcile_page",
    "statement_import",
    "portal",
]

if __name__ == "__main__":
    for name in sys.argv[1:] or BENCHMARKS:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        print(f"== bench/{name}.py", flush=True)
        importlib.import_module(f"bench.{name}").main()
