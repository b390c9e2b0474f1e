"""A dependency that fails under a request gets a 503 page in the user's language (the
portal's look, or the admin's), not a bare "Server Error (500)"; a bug gets the project's
own 500 page; and ops hear of errors once per kind, never inside the failing request."""

import logging
import time

import pytest
from django.core import mail
from django.test import Client

from avataq.logformat import ThrottledOpsMailHandler

pytestmark = [pytest.mark.urls("avataq.tests.urls_boom"), pytest.mark.django_db]


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_a_dependency_down_answers_503_asking_to_retry_in_a_minute(client):
    response = client.get("/my/boom-upload/")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Please try again in a minute" in page and "Nothing of what you just did" in page
    assert "Traceback" not in page and "DependencyUnavailable" not in page


def test_the_outage_page_speaks_the_users_language(client):
    client.cookies["django_language"] = "fr"

    page = client.get("/my/boom-upload/").content.decode()

    assert 'lang="fr"' in page and "Veuillez réessayer dans une minute" in page


def test_a_database_outage_in_the_admin_gets_the_admins_page_without_touching_the_database(
    client,
):
    response = client.get("/admin/boom-database/")

    assert response.status_code == 503
    assert "Avataq administration" in response.content.decode()
    assert "admin/css/base.css" in response.content.decode()


@pytest.mark.parametrize("path", ["/boom-bug/", "/admin/boom-bug/"])
def test_a_bug_gets_the_projects_own_500_page(client, path):
    response = client.get(path)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Server Error (500)" not in response.content.decode()


# --- ops hear of errors once per kind, after the request ------------------------------------
def record(exc: BaseException, logger: str = "django.request") -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        import sys

        return logging.LogRecord(
            logger, logging.ERROR, __file__, 1, "boom %s", ("x",), sys.exc_info()
        )


def test_a_burst_of_the_same_error_sends_ops_one_email(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    handler = ThrottledOpsMailHandler(interval=600)

    for _ in range(50):
        handler.emit(record(ConnectionError("db")))
    handler.emit(record(KeyError("other")))
    handler.flush()

    assert len(mail.outbox) == 2
    assert {m.subject.split(":")[0] for m in mail.outbox} == {"[Django] ERROR"}


def test_the_next_email_of_a_kind_says_how_many_were_left_out(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    handler = ThrottledOpsMailHandler(interval=0.2)

    for _ in range(3):
        handler.emit(record(ConnectionError("db")))
    time.sleep(0.3)
    handler.emit(record(ConnectionError("db")))
    handler.flush()

    assert len(mail.outbox) == 2
    assert "2 more of this kind" in mail.outbox[1].body


def test_the_failing_request_never_waits_for_the_mail_server(settings, monkeypatch):
    settings.ADMINS = [("Ops", "ops@example.org")]
    monkeypatch.setattr("django.core.mail.mail_admins", lambda *a, **k: time.sleep(2))
    handler = ThrottledOpsMailHandler()

    started = time.monotonic()
    handler.emit(record(ConnectionError("db")))

    assert time.monotonic() - started < 0.5


def test_a_refusal_no_view_caught_answers_400_with_its_message(client):
    response = client.get("/boom-refused/")

    assert response.status_code == 400
    page = response.content.decode()
    assert "This cannot be done." in page and "Nothing of what you just did" in page
    assert "Traceback" not in page and "TransitionError" not in page


def test_a_refusal_in_the_admin_answers_400_in_the_users_language(client):
    client.cookies["django_language"] = "fr"

    response = client.get("/admin/boom-refused/")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ce n'est pas possible." in page.replace("&#x27;", "'")
    assert "Administration Avataq" in page
