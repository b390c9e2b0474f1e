"""How long a sign-in lasts: staff a working day, students until the browser closes
(unless they asked to stay signed in on this device)."""

import datetime as dt
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import login
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from avataq import sessions
from avataq.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
MINUTE = dt.timedelta(minutes=1)


def stored_expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def staff_sign_in(client, user) -> None:
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_a_staff_session_lasts_a_working_day_from_sign_in(client):
    staff_sign_in(client, StaffUserFactory())

    expected = timezone.now() + dt.timedelta(seconds=settings.STAFF_SESSION_SECONDS)
    assert abs(stored_expiry(client) - expected) < MINUTE
    assert settings.STAFF_SESSION_SECONDS <= 10 * 3600
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert abs(int(cookie["max-age"]) - settings.STAFF_SESSION_SECONDS) < 60


def test_using_a_staff_session_does_not_extend_it(client, monkeypatch):
    staff_sign_in(client, StaffUserFactory())
    end_of_day = stored_expiry(client)
    later = timezone.now() + dt.timedelta(hours=5)
    monkeypatch.setattr(timezone, "now", lambda: later)

    session = client.session
    session["touched"] = True  # a change saves the session again, five hours on
    session.save()

    assert stored_expiry(client) == end_of_day


def sign_in(user, *, keep: bool = False):
    """A sign-in through the session middleware, as a login page does: the request (its
    session) and the response (its cookie)."""
    request = RequestFactory().post("/account/login/")
    middleware = SessionMiddleware(lambda r: HttpResponse())
    middleware.process_request(request)
    if keep:
        sessions.keep_signed_in(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return request, middleware.process_response(request, HttpResponse())


def test_a_student_session_ends_when_the_browser_closes():
    request, response = sign_in(UserFactory())

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert request.session.get_expire_at_browser_close()


def test_the_server_forgets_a_browser_close_session_within_a_day(client):
    client.force_login(UserFactory())

    assert stored_expiry(client) <= timezone.now() + dt.timedelta(hours=24)


def test_a_student_who_asks_stays_signed_in_on_the_device_two_weeks_from_sign_in(monkeypatch):
    request, _ = sign_in(UserFactory(), keep=True)
    expected = timezone.now() + dt.timedelta(days=14)
    later = timezone.now() + dt.timedelta(days=5)
    monkeypatch.setattr(timezone, "now", lambda: later)

    request.session["touched"] = True  # used again five days on
    request.session.save()

    assert not request.session.get_expire_at_browser_close()
    stored = Session.objects.get(session_key=request.session.session_key).expire_date
    assert abs(stored - expected) < MINUTE


def test_staff_get_a_working_day_even_when_they_ask_to_stay_signed_in():
    request, _ = sign_in(StaffUserFactory(), keep=True)

    expected = timezone.now() + dt.timedelta(seconds=settings.STAFF_SESSION_SECONDS)
    assert abs(request.session.get_expiry_date() - expected) < MINUTE


# --- rotating SECRET_KEY ----------------------------------------------------------------
@pytest.mark.parametrize("old_key_kept", [True, False])
def test_a_rotated_secret_key_keeps_sessions_only_while_the_old_one_is_a_fallback(
    client, settings, old_key_kept
):
    settings.SECRET_KEY = "old-" + "k" * 60
    client.force_login(StaffUserFactory(is_superuser=True))
    assert client.get("/admin/").status_code == 200

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY] if old_key_kept else []
    settings.SECRET_KEY = "new-" + "n" * 60
    response = client.get("/admin/")

    assert response.status_code == (200 if old_key_kept else 302)


def test_secret_key_fallbacks_are_read_from_the_environment():
    from avataq.tests.test_config import full_mode_environment

    env = {**full_mode_environment(), "SECRET_KEY_FALLBACKS": "a" * 50 + ",b" + "c" * 50}
    code = "from django.conf import settings; print(len(settings.SECRET_KEY_FALLBACKS))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip().splitlines()[-1] == "2", result.stderr
