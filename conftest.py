"""Fixtures shared by every app's tests."""

import os

import pytest


@pytest.fixture
def redis_url() -> str:
    """The real Redis of the machine (CELERY_BROKER_URL, else 127.0.0.1:6379); the test is
    skipped, with this reason shown, only when none answers."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {url.split('@')[-1]} ({type(exc).__name__})")
    return url
