"""The one place where an error that escapes a view becomes an answer a person can use:

- a dependency's failure: a 503 page in their language saying what happened and to try
  again in a minute — never a bare "Server Error (500)" after an outage, and never a page
  that itself needs the dependency that failed (the error pages are rendered without the
  request's context: no session, no database);
- any other :class:`~avataq.errors.AvataqError` a view did not handle itself: a 400 page
  with the error's message, in their language (services raise it before anything of the
  request is kept, or inside the transaction that is rolled back).

Views that can say more (a form's field, a message on the page it came from) catch the
error themselves; this is the floor, not the only place."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language

from avataq.errors import AvataqError, DependencyUnavailable

log = logging.getLogger("avataq.outage")


def _dependency_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [DependencyUnavailable, OperationalError, InterfaceError]
    try:
        from botocore.exceptions import (
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        errors += [
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        ]
    except ImportError:  # pragma: no cover - boto3 is a dependency
        pass
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    return (*errors, BrokerError, RedisConnectionError, RedisTimeout)


DEPENDENCY_ERRORS = _dependency_errors()


def dependency_of(exc: BaseException) -> str:
    if isinstance(exc, DependencyUnavailable):
        return exc.dependency
    if isinstance(exc, DatabaseError):
        return "database"
    module = type(exc).__module__
    return "storage" if module.startswith("botocore") else "broker"


def error_page(request: HttpRequest, status: int, message: str = "") -> HttpResponse:
    """The 400, 500 or 503 page, the admin's look under /admin/, the portal's elsewhere."""
    prefix = "admin/" if request.path.startswith("/admin/") else ""
    context = {"LANGUAGE_CODE": get_language() or "en", "path": request.path, "message": message}
    body = render_to_string(f"{prefix}{status}.html", context)
    response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if status == 503:
        response["Retry-After"] = "60"
    return response


class DependencyFailureMiddleware:
    """A dependency that fails under a request (S3, the database, the broker) answers 503
    with the outage page; the failure is logged once per kind by the throttled handler."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AvataqError) and not isinstance(exception, DEPENDENCY_ERRORS):
            log.info(
                "%s %s refused: %s (%s)",
                request.method,
                request.path,
                exception.code,
                type(exception).__name__,
            )
            return error_page(request, 400, str(exception))
        if not isinstance(exception, DEPENDENCY_ERRORS):
            return None
        dependency = dependency_of(exception)
        log.warning(
            "%s unavailable during %s %s: %s",
            dependency,
            request.method,
            request.path,
            type(exception).__name__,
            extra={"dependency": dependency},
        )
        return error_page(request, 503)
