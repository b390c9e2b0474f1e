"""A broker that is down or hanging never fails the request that committed the work."""

import socket
import threading
import time

import kombu.pools
import pytest
from django.urls import reverse

from avataq.celery import app
from avataq.queue import broker_back
from portal.models import Account, OutgoingEmail
from portal.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "annie@example.org",
    "password1": "Qajaq-2026-ajurnarmat",
    "password2": "Qajaq-2026-ajurnarmat",
    "accept_notice": "on",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def forget_connections() -> None:
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """Point Celery at a broker URL for the test (not eager: publishing for real)."""
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}

    def use(url: str) -> None:
        app.conf.update(broker_url=url, task_always_eager=False)
        forget_connections()
        broker_back()

    yield use
    app.conf.update(previous)
    forget_connections()
    broker_back()


@pytest.fixture
def hanging_port():
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def seen_down() -> None:
    """The broker was found down a moment ago (by an earlier request): publishing is not
    tried again for a while, as in the middle of an outage."""
    import avataq.queue

    avataq.queue._down_until = time.monotonic() + 60


def signup(client, capture):
    with capture(execute=True):
        return client.post(reverse("portal:signup"), SIGNUP)


def test_signup_with_the_broker_down_answers_success_and_leaves_the_email_for_the_sweep(
    client, broker, django_capture_on_commit_callbacks
):
    broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there

    response = signup(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == reverse("portal:unconfirmed")
    assert Account.objects.filter(email="annie@example.org").exists()
    email = OutgoingEmail.objects.get(template_code="account_confirmation")
    assert (email.status, email.attempts) == ("queued", 0)  # the sweep sends it


def test_a_hanging_broker_does_not_hold_the_request(
    client, broker, hanging_port, django_capture_on_commit_callbacks
):
    broker(f"redis://127.0.0.1:{hanging_port}/0")

    started = time.monotonic()
    response = signup(client, django_capture_on_commit_callbacks)

    # Seconds (the broker timeouts), not the web server's 60 s kill.
    assert response.status_code == 302
    assert time.monotonic() - started < 20
    assert OutgoingEmail.objects.filter(template_code="account_confirmation").exists()


def test_a_password_reset_asked_while_the_broker_is_down_is_not_lost(
    client, broker, django_capture_on_commit_callbacks
):
    AccountFactory(
        user__username="annie@example.org",
        user__email="annie@example.org",
        email="annie@example.org",
    )
    broker(f"redis://127.0.0.1:{free_port()}/0")
    seen_down()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:password_reset"), {"email": "annie@example.org"})

    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(template_code="password_reset").exists()


def test_the_sweep_sends_what_the_broker_never_took(
    client, broker, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from portal.services.mail import outgoing_emails_retry

    broker(f"redis://127.0.0.1:{free_port()}/0")
    seen_down()
    signup(client, django_capture_on_commit_callbacks)

    sent = outgoing_emails_retry(now=timezone.now() + dt.timedelta(minutes=2))

    assert sent == 1
    assert OutgoingEmail.objects.get().status == "sent"


def test_during_an_outage_only_the_first_request_waits_for_the_broker(
    client, broker, django_capture_on_commit_callbacks
):
    from avataq.queue import publish
    from portal.tasks import outgoing_email_send_task

    broker(f"redis://127.0.0.1:{free_port()}/0")
    assert publish(outgoing_email_send_task, 1) is False

    started = time.monotonic()
    assert publish(outgoing_email_send_task, 2) is False
    assert time.monotonic() - started < 0.5  # not tried again within the quiet window
