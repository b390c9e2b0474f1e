"""Project-level invariants: migrations match the models, compose.yaml stays valid."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_compose_defines_the_whole_stack_with_health_checks():
    compose = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
    services = compose["services"]

    assert {"db", "redis", "minio", "web", "worker", "beat"} <= set(services)
    for name in ("db", "redis", "minio", "web", "worker"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        assert services[name]["image"] == "avataq:latest"
        assert services[name]["environment"]["DEBUG"] == "0"
    assert set(compose["volumes"]) == {"db-data", "redis-data", "minio-data"}


def test_compose_carries_no_secret():
    text = (BASE_DIR / "compose.yaml").read_text()
    for variable in ("SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"):
        assert f"${{{variable}:?" in text
