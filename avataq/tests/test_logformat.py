"""Log lines keep request paths but never the token of a one-time link."""

import json
import logging
import time

import pytest
from django.urls import reverse

from avataq.logformat import RedactingFormatter, RedactingJsonFormatter

TOKEN = "Zm9vYmFyLXNlY3JldC10b2tlbg"


def access_record(request_line: str) -> logging.LogRecord:
    """A record as gunicorn's access logger makes it: the format, and a dict of atoms."""
    return logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '%(h)s "%(r)s" %(s)s',
        ({"h": "203.0.113.9", "r": request_line, "s": "200"},),
        None,
    )


def test_an_access_log_line_keeps_the_path_but_not_the_invitation_token():
    line = RedactingJsonFormatter("%(message)s").format(
        access_record(f"GET /account/invitation/{TOKEN}/ HTTP/1.1")
    )

    assert TOKEN not in line
    assert "GET /account/invitation/…" in json.loads(line)["message"]


@pytest.mark.parametrize(
    "path",
    [
        f"/account/confirm/{TOKEN}/",
        f"/account/reset/MQ/{TOKEN}/",
        "/account/reset/MQ/set-password/",
    ],
)
def test_confirmation_and_reset_links_are_redacted_in_text_logs(path):
    line = RedactingFormatter("%(message)s").format(access_record(f"GET {path} HTTP/1.1"))

    assert TOKEN not in line and "MQ" not in line


def test_the_fixed_reset_pages_are_logged_as_they_are():
    line = RedactingFormatter("%(message)s").format(
        access_record("GET /account/reset/done/ HTTP/1.1")
    )

    assert "/account/reset/done/" in line


@pytest.mark.django_db
def test_djangos_warning_for_a_dead_link_carries_no_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("portal:confirm", args=[TOKEN]))

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    line = RedactingJsonFormatter("%(message)s").format(record)
    assert TOKEN not in line and "/account/confirm/…" in line


@pytest.mark.parametrize(
    "formatter",
    [
        RedactingFormatter("%(asctime)s %(message)s"),
        RedactingJsonFormatter("%(asctime)s %(message)s"),
    ],
)
def test_log_times_are_utc_with_a_z_whatever_the_process_time_zone(formatter, monkeypatch):
    monkeypatch.setenv("TZ", "America/Montreal")
    time.tzset()
    try:
        record = logging.LogRecord("avataq", logging.INFO, __file__, 1, "hello", None, None)
        record.created = 1_767_225_600.25  # 2026-01-01 00:00:00.250 UTC
        line = formatter.format(record)
    finally:
        monkeypatch.undo()
        time.tzset()

    assert "2026-01-01T00:00:00.250Z" in line
