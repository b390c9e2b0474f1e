"""The log line formats, shared by Django's logging and gunicorn's.

Both redact one-time links (avataq.redaction): request lines (gunicorn's access log,
Django's warnings for 4xx answers) would otherwise keep them for as long as logs are kept."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from avataq.redaction import redact


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


JSON_FORMATTER = {
    "()": "avataq.logformat.RedactingJsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
TEXT_FORMATTER = {
    "()": "avataq.logformat.RedactingFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
}
