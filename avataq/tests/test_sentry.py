"""Error reports to Sentry carry nothing personal (avataq.sentry.scrub_event)."""

from __future__ import annotations

import json

from avataq.sentry import FILTERED, scrub_event
from avataq.tests.test_config import full_mode_environment, manage_check


def realistic_event() -> dict:
    """The shape sentry-sdk's Django integration sends for an error in a view."""
    return {
        "event_id": "5f4c1e0b9c8d4f0e8a7b6c5d4e3f2a1b",
        "level": "error",
        "server_name": "web-1",
        "message": "Could not send to annie.qumaq@example.org",
        "logentry": {
            "message": "Sheet for %s (status %s) failed",
            "params": ["Annie Qumaq", "12345"],
        },
        "exception": {
            "values": [
                {
                    "type": "ValidationError",
                    "value": "Student 12345 born 2004-03-17 has account 1234567 "
                    "(annie.qumaq@example.org), IBAN FR76 3000 6000 0112 3456 7890 189",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "sheet_validate",
                                "vars": {"student": "<Student: Annie Qumaq>", "dob": "2004"},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://avataq.example.org/account/reset/MQ/abc-def123/",
            "method": "POST",
            "query_string": "email=annie.qumaq%40example.org",
            "data": {"first_name": "Annie", "account": "1234567"},
            "cookies": {"sessionid": "s3cr3t", "csrftoken": "t0k3n"},
            "headers": {
                "Cookie": "sessionid=s3cr3t",
                "Authorization": "Bearer metrics",
                "X-Forwarded-For": "203.0.113.9",
                "User-Agent": "Mozilla/5.0",
                "Host": "avataq.example.org",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 42, "email": "annie.qumaq@example.org", "username": "12345"},
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": "SELECT … WHERE status_no = %s",
                    "data": {"db.params": ["12345"]},
                },
                {"category": "django", "message": "mail to annie.qumaq@example.org"},
            ]
        },
        "extra": {"date_of_birth": "2004-03-17", "sheet": 7, "note": "status 12345"},
        "tags": {"student_reference": "12345", "view": "portal:sheets"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.9"}},
    }


def test_nothing_personal_survives_scrubbing():
    scrubbed = scrub_event(realistic_event(), {})
    text = json.dumps(scrubbed, ensure_ascii=False)

    for personal in (
        "annie",
        "Annie",
        "Qumaq",
        "12345",
        "2004-03-17",
        "1234567",
        "FR76",
        "s3cr3t",
        "t0k3n",
        "203.0.113.9",
        "abc-def123",
        "Bearer",
        "web-1",
    ):
        assert personal not in text, personal


def test_what_helps_debugging_is_kept():
    scrubbed = scrub_event(realistic_event(), {})

    exception = scrubbed["exception"]["values"][0]
    assert exception["type"] == "ValidationError"
    assert exception["value"].startswith(f"Student {FILTERED} born {FILTERED}")
    assert exception["stacktrace"]["frames"][0]["function"] == "sheet_validate"
    assert "vars" not in exception["stacktrace"]["frames"][0]
    assert scrubbed["logentry"] == {
        "message": "Sheet for %s (status %s) failed",
        "params": [FILTERED, FILTERED],
    }
    assert scrubbed["request"]["method"] == "POST"
    assert scrubbed["request"]["url"] == "https://avataq.example.org/account/reset/…"
    assert scrubbed["request"]["headers"] == {
        "User-Agent": "Mozilla/5.0",
        "Host": "avataq.example.org",
    }
    assert "data" not in scrubbed["request"]
    assert "cookies" not in scrubbed["request"]
    assert scrubbed["user"] == {"id": 42}
    assert scrubbed["extra"] == {"date_of_birth": FILTERED, "sheet": 7, "note": "status [Filtered]"}
    assert scrubbed["tags"] == {"student_reference": FILTERED, "view": "portal:sheets"}
    assert scrubbed["contexts"]["runtime"]["version"] == "3.11.9"


def test_sentry_is_off_without_a_dsn():
    import sentry_sdk

    assert not sentry_sdk.get_client().is_active()


def test_a_malformed_dsn_is_a_named_configuration_error():
    env = {**full_mode_environment(), "SENTRY_DSN": "not a dsn"}
    result = manage_check(env)
    assert result.returncode != 0
    assert "SENTRY_DSN" in result.stderr
    assert "not a dsn" not in result.stderr


def test_a_production_configuration_with_sentry_passes_the_deploy_check():
    env = {**full_mode_environment(), "SENTRY_DSN": "https://public@o0.ingest.example.org/1"}
    result = manage_check(env, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
