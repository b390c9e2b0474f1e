"""Strict reading of settings from the environment.

Settings must never crash at import with a stack trace: every missing or malformed
value is recorded here under its variable name, and the ``avataq.E001`` system check
reports them all at once (``manage.py check``, and every management command).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import environ

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass
class Config:
    """Reads variables from ``environ`` and collects ``(name, problem)`` pairs."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def error(self, name: str, problem: str) -> None:
        self.errors.append((name, problem))

    def require(self, name: str, why: str) -> None:
        self.error(name, f"{name} is required {why}.")

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        self.error(
            name, f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)."
        )
        return default

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.error(name, f"{name}={value!r} is not a whole number.")
            return default
        if minimum is not None and number < minimum:
            self.error(name, f"{name}={number} must be at least {minimum}.")
            return default
        return number

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        return default if value is None else value

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, name: str, *, schemes: set[str]) -> str | None:
        """A URL whose scheme is one of ``schemes`` and that names a host or a path."""
        value = self.raw(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            allowed = ", ".join(sorted(schemes))
            self.error(name, f"{name} must be a URL starting with one of: {allowed}.")
            return None
        if not (parts.netloc or parts.path.strip("/") or parts.query):
            self.error(name, f"{name} names no host.")
            return None
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self.raw(name) or default
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.error(name, f"{name}={value!r} is not a known time zone (e.g. America/Montreal).")
            return default
        return value

    def parsed(self, name: str, parser: Callable[[str], Any], what: str) -> Any:
        """Run a django-environ URL parser, turning its exceptions into a named error."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parser(value)
        except Exception:  # environ raises several kinds; each means "malformed"
            self.error(name, f"{name} is not a valid {what} URL.")
            return None


def database_from_url(url: str) -> dict[str, Any]:
    config = environ.Env.db_url_config(url)
    # A Unix-socket directory travels percent-encoded in the host part.
    config["HOST"] = unquote(str(config.get("HOST") or ""))
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ValueError("only PostgreSQL is supported")
    if not config.get("NAME"):
        raise ValueError("no database name")
    return config


SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_from_url(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings from ``EMAIL_URL``. Only the smtp schemes send mail (the
    settings refuse the others when DEBUG is off)."""
    config = environ.Env.email_url_config(url)
    if not config.get("EMAIL_HOST") and "smtp" in config.get("EMAIL_BACKEND", ""):
        raise ValueError("no SMTP host")
    return config
