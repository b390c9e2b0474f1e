"""Health checks: one entry per dependency, each answering ``"ok"`` or a short reason
that names no secret (no URL, no password, no host)."""

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


def registered_checks() -> dict[str, Check]:
    checks: dict[str, Check] = {"database": check_database}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = check_broker
    return checks


def run_checks() -> tuple[bool, dict[str, str]]:
    results = {name: check() for name, check in registered_checks().items()}
    return all(result == "ok" for result in results.values()), results
