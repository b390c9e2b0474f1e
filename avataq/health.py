"""Health checks: one entry per dependency, each answering ``"ok"`` or a short reason
that names no secret (no URL, no password, no host)."""

import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

Check = Callable[[], str]


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; its text may carry the DSN
        return f"down ({type(exc).__name__})"
    return "ok"


def check_broker() -> str:
    import redis

    url = settings.CELERY_BROKER_URL
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


def check_storage() -> str:
    """The documents storage answers (S3: a HEAD request; local: the folder is writable)."""
    from django.core.files.storage import FileSystemStorage, storages

    try:
        storage = storages["documents"]
        storage.exists("health-check/absent")
        if isinstance(storage, FileSystemStorage):
            os.makedirs(storage.location, exist_ok=True)
            if not os.access(storage.location, os.W_OK):
                return "down (not writable)"
    except Exception as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


def check_backups() -> str:
    """Not a dependency: a stale backup is reported, it does not make the site unhealthy."""
    from avataq.backups import backup_age

    try:
        age = backup_age()
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
    if age is None:
        return "stale (no successful backup yet)"
    hours = age.total_seconds() / 3600
    if hours > settings.BACKUP_MAX_AGE_HOURS:
        return f"stale (newest successful backup {hours:.0f} hours ago)"
    return "ok"


def registered_checks() -> dict[str, Check]:
    checks: dict[str, Check] = {"database": check_database, "storage": check_storage}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = check_broker
    return checks


# /health/ answers within a second, whatever hangs: each check runs in its own thread and
# one that has not answered by then is reported down (the load balancer must hear back).
DEADLINE = 1.0


def run_checks(deadline: float = DEADLINE) -> tuple[bool, dict[str, str]]:
    """(every dependency up, results); the backups' freshness is reported alongside."""
    results: dict[str, str] = {}

    def run(name: str, check: Check) -> None:
        try:
            results[name] = check()
        finally:
            connections.close_all()  # this thread's own database connection

    # Daemon threads: a check that hangs is left behind, and never holds up the answer
    # or the process's exit (a pool's threads would be joined at exit).
    threads = [
        threading.Thread(target=run, args=item, daemon=True, name=f"health-{item[0]}")
        for item in registered_checks().items()
    ]
    for thread in threads:
        thread.start()
    end = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    results = {
        name: results.get(name, f"down (no answer within {deadline:g} s)")
        for name in registered_checks()
    }
    healthy = all(result == "ok" for result in results.values())
    if results["database"] == "ok":
        results["backups"] = check_backups()
    return healthy, results
