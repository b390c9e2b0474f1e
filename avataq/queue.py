"""Queuing a Celery task once the transaction commits — without ever failing the request
that committed.

The work is saved when the task is published; a broker that is down or hanging must not
turn that success into a 500 (or a request blocked until the web server kills it). The
publish has a short timeout (``CELERY_BROKER_*`` settings) and no retry loop; when it
fails, the caller's ``fallback`` runs (or nothing, when a sweep picks the row up — the
outbox's does, every minute) and a warning is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)
# What a broker that is down, refusing or too slow raises while a message is published.
BROKER_ERRORS = (OperationalError, ConnectionError, TimeoutError, OSError)


# After a failed publish this process does not try the broker again for a while: during
# an outage only the first request in each window waits for the broker's timeouts (its
# client retries a refused connection for a few seconds), the others go straight on.
QUIET_AFTER_FAILURE = 30.0  # seconds
_down_until = 0.0


def masked(args: tuple) -> str:
    """The arguments as the worker logs them and a failed task's record keeps them: ids
    as they are, any text (an email address) masked."""
    return repr(tuple(a if isinstance(a, int | float | bool | None) else "…" for a in args))


def publish(task: Task, *args: Any) -> bool:
    """Publish ``task`` now; False (logged) when the broker could not take it."""
    global _down_until
    if time.monotonic() < _down_until:
        log.warning("broker down: %s%r left for its sweep or fallback", task.name, args)
        return False
    try:
        task.apply_async(args=args, retry=False, argsrepr=masked(args))
    except BROKER_ERRORS as exc:
        _down_until = time.monotonic() + QUIET_AFTER_FAILURE
        log.warning("could not queue %s%r: %s: %s", task.name, args, type(exc).__name__, exc)
        return False
    _down_until = 0.0
    return True


def broker_back() -> None:
    """Forget a failure seen earlier (tests; an operator who knows the broker is back)."""
    global _down_until
    _down_until = 0.0


def publish_on_commit(task: Task, *args: Any, fallback: Callable[[], object] | None = None) -> None:
    """Publish ``task`` once the surrounding transaction commits (never if it rolls
    back). ``fallback`` runs when the broker cannot take it."""

    def after_commit() -> None:
        if not publish(task, *args) and fallback is not None:
            fallback()

    transaction.on_commit(after_commit)
