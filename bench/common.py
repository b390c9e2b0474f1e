"""Helpers for the benchmarks: a fresh database on a real server, and timing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from avataq.dev import test as test_runner

BASE_DIR = Path(__file__).resolve().parent.parent


def fresh_database(name: str) -> tuple[str, object | None]:
    """(URL of a new empty database ``name``, embedded server to stop or None)."""
    url, server = test_runner.resolve_database()
    base = url.rsplit("/", 1)[0]
    admin_url = server.get_uri() if server is not None else f"{base}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if server is not None:
        return test_runner.postgres.embedded_url(server.pgdata, name), server
    return f"{base}/{name}", None


def drop_database(url: str, server: object | None = None) -> None:
    """Drop the database at ``url`` that :func:`fresh_database` made (this process's
    connections to it closed first, any other's by ``FORCE``)."""
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110  (Django not set up: no connection to close)
        pass
    base, name = url.rsplit("/", 1)
    admin_url = server.get_uri() if server is not None else f"{base}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def collect_static(env: dict[str, str]) -> None:
    """``manage.py collectstatic`` into the STATIC_ROOT ``env`` names (what gunicorn serves
    through WhiteNoise in production)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def manage(database_url: str, *args: str) -> float:
    """Run ``manage.py args`` against the database; return its wall time in seconds."""
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def django_in_production_mode(database_url: str) -> None:
    """Set up Django in this process as production runs it (DEBUG off) against
    ``database_url``, with throw-away secrets and no real broker, bucket or mail server."""
    import base64
    import secrets

    os.environ.update(
        DEBUG="0",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="avataq.settings",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    os.environ.setdefault("AWS_STORAGE_BUCKET_NAME", "unused")
    os.environ.setdefault("AWS_S3_REGION_NAME", "us-east-1")
    os.environ.setdefault("EMAIL_URL", "consolemail://")
    os.environ.setdefault(
        "BANK_DETAILS_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    import django

    django.setup()
