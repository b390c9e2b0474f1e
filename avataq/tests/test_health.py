import pytest
from django.db import connections
from django.test import Client

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down(django_db_blocker):
    """Point the default connection at a port where nothing listens."""
    original = connections["default"]
    broken = type(original)({**original.settings_dict, "HOST": "127.0.0.1", "PORT": closed_port()})
    connections["default"] = broken
    with django_db_blocker.unblock():
        yield
    broken.close()
    connections["default"] = original


def test_health_is_ok_when_every_dependency_answers(client: Client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_503_naming_the_database_when_it_is_down(database_down):
    response = Client().get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"].startswith("down")


def test_health_output_carries_no_connection_details(database_down, settings):
    response = Client().get("/health/")

    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert "postgres" not in text.lower()


def test_health_checks_the_broker_when_one_is_configured(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_health_answers_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("down")


def test_health_needs_no_login_and_refuses_writes(client):
    assert client.post("/health/").status_code == 405
