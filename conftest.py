"""Fixtures shared by every app's tests."""

import os
import uuid
from dataclasses import dataclass

import pytest


@pytest.fixture
def redis_url() -> str:
    """The real Redis of the machine (CELERY_BROKER_URL, else 127.0.0.1:6379); the test is
    skipped, with this reason shown, only when none answers."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {url.split('@')[-1]} ({type(exc).__name__})")
    return url


@pytest.fixture(autouse=True)
def _language_back_to_the_default():
    """A request in French leaves French active in this thread (LocaleMiddleware does not
    deactivate it): the next test starts in the default language again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; the production hasher costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _documents_in_a_temporary_directory(settings, tmp_path):
    """Tests never write to .data/: local document storage goes to a temporary folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "documents.storage.LocalDocumentStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
        "documents": {
            "BACKEND": "documents.storage.LocalDocumentStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@dataclass
class S3Bucket:
    endpoint: str
    name: str
    client: object

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3(settings) -> S3Bucket:
    """A fresh bucket on the real S3-compatible test server (s3rver, started by
    `make test`), made the documents storage for this test."""
    import boto3
    from botocore.config import Config

    from avataq.dev.s3server import ACCESS_KEY, SECRET_KEY

    endpoint = os.environ.get("AVATAQ_TEST_S3_ENDPOINT")
    if not endpoint:
        reason = os.environ.get("AVATAQ_TEST_S3_UNAVAILABLE", "run through `make test`")
        pytest.skip(f"no S3 test server: {reason}")
    name = f"test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    client.create_bucket(Bucket=name)
    storage = {
        "BACKEND": "documents.storage.S3DocumentStorage",
        "OPTIONS": {
            "bucket_name": name,
            "region_name": "us-east-1",
            "endpoint_url": endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
        },
    }
    settings.STORAGES = {**settings.STORAGES, "default": storage, "documents": storage}
    return S3Bucket(endpoint=endpoint, name=name, client=client)
