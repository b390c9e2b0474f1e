"""The log line formats, shared by Django's logging and gunicorn's.

Both redact one-time links (avataq.redaction): request lines (gunicorn's access log,
Django's warnings for 4xx answers) would otherwise keep them for as long as logs are kept.
Both write times in UTC, ISO 8601 with a ``Z``: gunicorn's master runs before Django sets
the process's time zone (``TIME_ZONE``) and its workers after, so local times would mix
two zones, without an offset, in one log."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time

from pythonjsonlogger.json import JsonFormatter

from avataq.redaction import redact


def utc_time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


JSON_FORMATTER = {
    "()": "avataq.logformat.RedactingJsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
TEXT_FORMATTER = {
    "()": "avataq.logformat.RedactingFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
}


class ThrottledOpsMailHandler(logging.Handler):
    """Errors emailed to ops (``ADMINS``) once per kind per ``interval`` seconds, from a
    background thread: a database restart that fails 170 requests in six seconds sends one
    email, not 170, and never makes the failing request wait for a mail server. The next
    email of a kind says how many were left out since the last one."""

    def __init__(self, interval: float = 600.0) -> None:
        super().__init__(level=logging.ERROR)
        self.interval = interval
        self._last: dict[tuple[str, str], float] = {}
        self._suppressed: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None

    @staticmethod
    def kind(record: logging.LogRecord) -> tuple[str, str]:
        """What makes two errors "the same": the logger and the exception's type, else the
        message's template (not its values: every /health/ probe is one kind)."""
        if record.exc_info and record.exc_info[0] is not None:
            return record.name, record.exc_info[0].__name__
        return record.name, str(record.msg)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            key, now = self.kind(record), time.monotonic()
            with self._lock:
                last = self._last.get(key)
                if last is not None and now - last < self.interval:
                    self._suppressed[key] = self._suppressed.get(key, 0) + 1
                    return
                self._last[key] = now
                left_out = self._suppressed.pop(key, 0)
            subject = redact(f"{record.levelname}: {record.getMessage()}")[:180].splitlines()[0]
            body = redact(self.format(record))
            if left_out:
                body += f"\n\n({left_out} more of this kind in the last interval were not sent.)"
            self._outbox.put((subject, body))
            self._start()
        except Exception:  # a logging handler never raises into the code that logs
            self.handleError(record)

    def _start(self) -> None:
        with self._lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._send, daemon=True)
                self._sender.start()

    def _send(self) -> None:
        from django.core.mail import mail_admins

        while (item := self._outbox.get()) is not None:
            subject, body = item
            try:
                mail_admins(subject, body, fail_silently=True)
            except Exception:  # noqa: S112  (the mail server may be what is down)
                continue

    def flush(self) -> None:
        """Wait until what is queued has been handed to the mail server (tests)."""
        deadline = time.monotonic() + 10
        while not self._outbox.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
