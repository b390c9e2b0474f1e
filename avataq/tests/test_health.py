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
    """Point the default connection at a port where nothing listens — in this thread and
    in any thread that connects meanwhile (the health checks run in their own)."""
    original = connections["default"]
    settings_dict = connections.settings["default"]
    saved = {key: settings_dict[key] for key in ("HOST", "PORT")}
    settings_dict.update({"HOST": "127.0.0.1", "PORT": closed_port()})
    broken = type(original)({**original.settings_dict, **settings_dict})
    connections["default"] = broken
    with django_db_blocker.unblock():
        yield
    broken.close()
    settings_dict.update(saved)
    connections["default"] = original


@pytest.fixture
def fresh_backup():
    from django.utils import timezone

    from avataq.models import BackupRecord

    return BackupRecord.objects.create(
        database="x", status="succeeded", finished_at=timezone.now(), key="k"
    )


def test_health_is_ok_when_every_dependency_answers(client: Client, fresh_backup):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "backups": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_health_warns_without_failing_when_backups_are_stale(client: Client, fresh_backup):
    import datetime as dt

    from avataq.models import BackupRecord

    BackupRecord.objects.update(finished_at=fresh_backup.finished_at - dt.timedelta(hours=30))

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "warning"
    assert response.json()["checks"]["backups"] == "stale (newest successful backup 30 hours ago)"


def test_health_checks_the_s3_storage(client: Client, s3, fresh_backup):
    assert client.get("/health/").json()["checks"]["storage"] == "ok"


def test_health_answers_503_naming_the_storage_when_s3_is_unreachable(client, settings):
    storage = {
        "BACKEND": "documents.storage.S3DocumentStorage",
        "OPTIONS": {
            "bucket_name": "absent",
            "region_name": "us-east-1",
            "endpoint_url": f"http://127.0.0.1:{closed_port()}",
            "access_key": "x",
            "secret_key": "y",
        },
    }
    settings.STORAGES = {**settings.STORAGES, "documents": storage}

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"].startswith("down")


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
    assert response.json()["checks"]["broker"] == "ok"


def test_health_answers_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("down")


def test_health_needs_no_login_and_refuses_writes(client):
    assert client.post("/health/").status_code == 405


def test_health_answers_within_a_second_whatever_hangs(monkeypatch):
    import time

    from avataq import health

    def hangs() -> str:
        time.sleep(5)
        return "ok"

    monkeypatch.setattr(
        health, "registered_checks", lambda: {"database": health.check_database, "storage": hangs}
    )
    started = time.monotonic()
    response = Client().get("/health/")

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "down (no answer within 1 s)"
