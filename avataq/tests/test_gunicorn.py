"""The production web server, as configured: one dependency that hangs holds some
requests, never all of them — public pages and /health/ keep answering."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from avataq.dev.faults import FaultProxy

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"


def get(url: str, timeout: float = 10, **kwargs) -> tuple[int, float]:
    started = time.monotonic()
    request = urllib.request.Request(url, **kwargs)  # noqa: S310  (http on loopback)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


@pytest.fixture
def gunicorn_behind_a_hanging_s3(tmp_path):
    from documents.services import api_key_create
    from scholarships.tests.factories import StudentFactory

    StudentFactory(status_no="12345")
    _key, plain = api_key_create(name="scanner")
    hung = FaultProxy("127.0.0.1", free_port())  # nothing behind it: it never answers
    hung.mode = "hang"
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "AWS_STORAGE_BUCKET_NAME": "documents",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ENDPOINT_URL": hung.endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",  # one process: only its threads stand between S3 and the rest
        "GUNICORN_THREADS": "4",
        "AVATAQ_DATA_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:avataq.gunicorn_conf", "avataq.wsgi"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(f"{base}/faq/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield base, plain
    server.send_signal(signal.SIGQUIT)  # quick shutdown: nothing is in flight any more
    server.wait(timeout=30)
    hung.close()


def test_uploads_stuck_on_a_hanging_s3_leave_public_pages_and_health_answering(
    gunicorn_behind_a_hanging_s3,
):
    base, key = gunicorn_behind_a_hanging_s3
    body = (
        b'{"student_reference": "12345", "scholar_year": "2025-2026", '
        b'"s3_key": "12345/2025-2026/transcript.pdf", "filename": "t.pdf"}'
    )

    def ingest() -> tuple[int, float]:
        return get(
            f"{base}/api/index/",
            timeout=60,
            data=body,
            method="POST",
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        stuck = [pool.submit(ingest) for _ in range(3)]  # each waits on S3
        time.sleep(1)
        faq, faq_time = get(f"{base}/faq/")
        health, health_time = get(f"{base}/health/")
        answers = [future.result() for future in stuck]

    assert (faq, health) == (200, 503)  # health names the storage as not answering
    assert faq_time < 3 and health_time < 3
    # The stuck requests end with the outage page within S3's timeouts, not at 60 s.
    assert all(status == 503 and took < 45 for status, took in answers), answers
