"""Fixtures shared by every app's tests."""

import os
import uuid
from dataclasses import dataclass

import pytest

# The Odoo exports the cut-over tests of every app import (avataq/odoo/tests).
pytest_plugins = ["avataq.odoo.tests.fixtures"]


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


# --- an S3 that fails on purpose ----------------------------------------------------------------
class RestartableS3rver:
    """An s3rver of the test session's own (the fault tests stop it), restartable on the
    same port and folder: its buckets and objects are there again when it comes back."""

    def __init__(self) -> None:
        from avataq.dev import s3server

        started = s3server.start()
        if isinstance(started, str):
            raise RuntimeError(started)
        self.process, self.directory = started.process, started.directory
        self.port = int(started.endpoint.rsplit(":", 1)[1])
        self.endpoint = started.endpoint

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            self.process.wait(timeout=10)

    def start(self) -> None:
        import json
        import shutil
        import socket
        import subprocess
        import time

        from avataq.dev import s3server

        if self.running:
            return
        options = {
            "address": "127.0.0.1",
            "port": self.port,
            "directory": self.directory.name,
            "silent": True,
            "vhostBuckets": False,
        }
        self.process = subprocess.Popen(  # noqa: S603 (node and our own launcher)
            [shutil.which("node") or "node", "-e", s3server.LAUNCHER, json.dumps(options)],
            cwd=s3server.BASE_DIR,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.running:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("s3rver did not come back")

    def close(self) -> None:
        self.stop()
        self.directory.cleanup()


@pytest.fixture(scope="session")
def restartable_s3rver():
    try:
        server = RestartableS3rver()
    except RuntimeError as exc:
        pytest.skip(f"no S3 test server: {exc}")
    yield server
    server.close()


@dataclass
class FaultyS3(S3Bucket):
    """A bucket on our own s3rver, reached by the documents storage through a
    ``FaultProxy``: ``fail("hang")``, ``fail("drop_response", drop_after=…)``, ``stop()``,
    ``start()``. ``client`` (and ``keys``/``read``) talk to the server directly."""

    proxy: object = None
    server: RestartableS3rver | None = None

    def fail(self, mode: str, drop_after=None) -> None:
        self.proxy.mode = mode
        if drop_after is not None:
            self.proxy.drop_after = drop_after

    def heal(self) -> None:
        self.proxy.mode = "pass"
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


def _one_request_per_connection(request, **kwargs) -> None:
    """The proxy picks a connection's fate on its first request: a fresh connection per
    request lets a test fail one call. The body goes with the headers (no 100-continue),
    so a dropped answer is the answer to a request the server completed."""
    request.headers["Connection"] = "close"
    if "Expect" in request.headers:
        del request.headers["Expect"]


@pytest.fixture
def faulty_s3(settings, restartable_s3rver) -> FaultyS3:
    """A fresh bucket on the session's own s3rver, made the documents storage through a
    fault proxy, with deadlines short enough for tests (1 s; 0.5 s for HEAD/DELETE)."""
    import boto3
    from botocore.config import Config
    from django.core.files.storage import storages

    from avataq.dev.faults import FaultProxy
    from avataq.dev.s3server import ACCESS_KEY, SECRET_KEY

    restartable_s3rver.start()
    proxy = FaultProxy("127.0.0.1", restartable_s3rver.port)
    name = f"faulty-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=restartable_s3rver.endpoint,
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
            "endpoint_url": proxy.endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "connect_timeout": 1,
            "read_timeout": 1,
            "quick_timeout": 0.5,
        },
    }
    settings.STORAGES = {**settings.STORAGES, "default": storage, "documents": storage}
    documents = storages["documents"]
    for s3_client in (documents.client, documents.quick_client):
        s3_client.meta.events.register("before-send.s3", _one_request_per_connection)
    yield FaultyS3(
        endpoint=proxy.endpoint, name=name, client=client, proxy=proxy, server=restartable_s3rver
    )
    proxy.close()
    restartable_s3rver.start()
