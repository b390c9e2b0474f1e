"""Optional error reporting to Sentry (``SENTRY_DSN``), with personal data scrubbed.

Students' files are personal information under Quebec's privacy law: an error report
leaves the country's and the program's hands, so nothing that names or identifies a
person goes with it. The SDK's default leaves users' addresses and names out, request
bodies are never attached, local variables never read;
``scrub_event`` then removes what the SDK still gathers (cookies, headers, the user,
local variables, SQL parameters) and masks, in every remaining string, what looks like
an email address, a status number, a date of birth or an account number.
"""

from __future__ import annotations

import re
from typing import Any

from avataq.redaction import redact

FILTERED = "[Filtered]"

# Keys whose value is personal whatever it looks like (compared lower-cased, "-" as "_").
SENSITIVE_KEYS = {
    "name",
    "first_name",
    "last_name",
    "full_name",
    "username",
    "email",
    "to",
    "phone",
    "address",
    "status_no",
    "status_number",
    "student_reference",
    "date_of_birth",
    "birth_date",
    "dob",
    "account",
    "account_number",
    "iban",
    "bic",
    "transit",
    "institution",
    "sin",
    "password",
    "token",
    "secret",
    "api_key",
    "authorization",
    "cookie",
    "cookies",
    "set_cookie",
    "x_api_key",
    "csrftoken",
    "sessionid",
    "body",
    "data",
    "ip_address",
    "remote_addr",
    "x_forwarded_for",
    "x_real_ip",
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Dates as they are written here (2004-03-17, 17/03/2004): a date of birth looks like any
# other, so every one goes.
DATE = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\b")
# Status numbers (5 digits and more), account and transit numbers, IBANs: runs of digits
# long enough to identify someone; shorter numbers (ids, counts, amounts) stay readable.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
LONG_NUMBER = re.compile(r"\b\d{5,}\b")


def scrub_text(text: str) -> str:
    text = redact(text)
    text = EMAIL.sub(FILTERED, text)
    text = IBAN.sub(FILTERED, text)
    text = DATE.sub(FILTERED, text)
    return LONG_NUMBER.sub(FILTERED, text)


def _sensitive(key: Any) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_") in SENSITIVE_KEYS


def scrub(value: Any) -> Any:
    """A copy of ``value`` with sensitive keys filtered and every string masked."""
    if isinstance(value, dict):
        return {k: FILTERED if _sensitive(k) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    request = dict(request)
    # Bodies and cookies never leave; headers only those that say nothing of the person.
    for key in ("data", "cookies", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    keep = {"host", "user-agent", "accept", "accept-language", "content-type", "referer"}
    request["headers"] = {k: scrub_text(str(v)) for k, v in headers.items() if k.lower() in keep}
    if "query_string" in request:
        request["query_string"] = FILTERED if request["query_string"] else ""
    if "url" in request:
        request["url"] = scrub_text(request["url"])
    return request


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event with nothing personal left in it."""
    event = dict(event)
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    # Who it happened to: only the id, which names no one outside the system.
    user = event.get("user") or {}
    event["user"] = {"id": user["id"]} if "id" in user else {}
    event.pop("server_name", None)
    for exception in (event.get("exception") or {}).get("values", []):
        exception["value"] = scrub_text(str(exception.get("value") or ""))
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            # Local variables hold the student being worked on: none are sent.
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []):
        for frame in (thread.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs") or {}
    for crumb in breadcrumbs.get("values", []):
        # SQL parameters and log arguments carry field values.
        crumb.pop("data", None)
        if crumb.get("message"):
            crumb["message"] = scrub_text(str(crumb["message"]))
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        # The message's template stays; its arguments (names among them) do not.
        event["logentry"] = {
            "message": scrub_text(str(logentry.get("message") or "")),
            "params": [FILTERED] * len(logentry.get("params") or []),
        }
    for key in ("message", "extra", "contexts", "tags"):
        if key in event:
            event[key] = scrub(event[key])
    return event


def init_sentry(*, dsn: str, environment: str, release: str | None = None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
        # Errors only: no performance tracing leaves the server.
        traces_sample_rate=0,
    )
