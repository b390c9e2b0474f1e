"""``/metrics``: only with the token, the project's figures read from the database and the
broker at scrape time, and an answer even when the broker is down."""

from __future__ import annotations

import datetime as dt
import io
import math
import uuid

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from avataq.models import BackupRecord
from avataq.tests.factories import StaffUserFactory
from avataq.tests.test_health import closed_port
from billing.models import ScheduledPayment
from billing.tests.factories_payments import validated_living_payments
from documents.models import DocumentAccess
from portal.models import OutgoingEmail

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests-0123456789abcdef"


@pytest.fixture
def token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = None  # no broker unless a test gives one
    return TOKEN


def scrape(client, token: str = TOKEN, **extra) -> dict[str, dict[tuple, float]]:
    """{metric sample name: {labels as sorted tuples: value}} of one authorised scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples[name][tuple(sorted(labels.items()))]


# --- who may read it ----------------------------------------------------------------------
def test_metrics_do_not_exist_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = None
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_without_a_token_only_loopback_with_debug_on_may_read_them(client, settings):
    settings.METRICS_TOKEN = None
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = None
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_a_missing_or_wrong_token_is_refused(client, token):
    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    basic = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")

    assert [missing.status_code, wrong.status_code, basic.status_code] == [401, 401, 401]
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"avataq_" not in missing.content + wrong.content + basic.content


def test_a_signed_in_superuser_without_the_token_is_refused(client, token):
    client.force_login(StaffUserFactory(is_superuser=True))
    assert client.get("/metrics").status_code == 401


def test_the_token_opens_them_and_they_are_never_cached(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# --- what they say ------------------------------------------------------------------------
def test_requests_are_measured_per_view_and_database_queries_timed(client, token):
    client.get("/health/")
    client.get("/no-such-page/")
    samples = scrape(client)

    latency = samples["django_http_requests_latency_seconds_by_view_method_count"]
    assert any(dict(labels).get("view") == "health" for labels in latency)
    answers = samples["django_http_responses_total_by_status_view_method_total"]
    assert any(dict(labels)["status"] == "404" for labels in answers)
    assert sum(samples["django_db_query_duration_seconds_count"].values()) > 0


def test_project_metrics_count_what_the_database_holds(client, token):
    today = timezone.localdate()
    payments = validated_living_payments()
    OutgoingEmail.objects.all().delete()  # the sheet's own notice: counted below from none
    for status in ("failed", "failed", "queued", "sending", "sent"):
        OutgoingEmail.objects.create(
            to="someone@example.org",
            template_code="t",
            language="en",
            subject="s",
            body="b",
            status=status,
        )
    OutgoingEmail.objects.filter(status="queued").update(
        created_at=timezone.now() - dt.timedelta(hours=2)
    )
    user = StaffUserFactory()
    for n in range(3):
        DocumentAccess.objects.create(s3_key=f"k{n}", user=user)
    # The sheet's other payments (tuition…) fall well beyond the week.
    ScheduledPayment.objects.update(due_date=today + dt.timedelta(days=60))
    due_dates = [today - dt.timedelta(days=3), today, today + dt.timedelta(days=30)]
    for payment, due in zip(payments, due_dates, strict=False):
        ScheduledPayment.objects.filter(pk=payment.pk).update(due_date=due)
    # Sent to the bank already: neither due nor overdue, however old its date.
    ScheduledPayment.objects.filter(pk=payments[3].pk).update(
        due_date=today - dt.timedelta(days=10), status=ScheduledPayment.Status.SENT
    )
    finished = timezone.now() - dt.timedelta(hours=2)
    BackupRecord.objects.create(database="avataq", status="succeeded", finished_at=finished)
    BackupRecord.objects.create(database="avataq", status="failed", finished_at=timezone.now())

    samples = scrape(client)

    assert value(samples, "avataq_outbox_emails", status="failed") == 2
    assert value(samples, "avataq_outbox_emails", status="queued") == 1
    assert value(samples, "avataq_outbox_emails", status="sending") == 1
    assert 7100 < value(samples, "avataq_outbox_oldest_queued_age_seconds") < 7300
    assert value(samples, "avataq_documents_downloaded_total") == 3
    assert value(samples, "avataq_payments_due") == 1
    assert value(samples, "avataq_payments_overdue") == 1
    assert 7100 < value(samples, "avataq_backup_age_seconds") < 7300
    assert value(samples, "avataq_backup_last_success_timestamp_seconds") == pytest.approx(
        finished.timestamp()
    )


def test_a_system_that_never_backed_up_reads_as_infinitely_old(client, token):
    BackupRecord.objects.create(database="avataq", status="failed", finished_at=timezone.now())
    samples = scrape(client)
    assert math.isinf(value(samples, "avataq_backup_age_seconds"))
    assert "avataq_backup_last_success_timestamp_seconds" not in samples


def test_the_celery_queue_length_is_read_from_redis(client, token, settings, redis_url):
    import redis

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(redis_url)
    try:
        broker.rpush(queue, "a", "b", "c")
        broker.rpush(f"{queue}\x06\x169", "d")  # a message sent with a priority
        samples = scrape(client)
    finally:
        broker.delete(queue, f"{queue}\x06\x169")
        broker.close()
    assert value(samples, "avataq_celery_queue_length", queue=queue) == 4


def test_a_broker_that_is_down_leaves_only_the_queue_metric_out(client, token, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    samples = scrape(client)
    assert "avataq_celery_queue_length" not in samples
    assert "avataq_backup_age_seconds" in samples
    assert "avataq_outbox_emails" in samples


def test_one_failing_source_does_not_fail_the_scrape(client, token, monkeypatch):
    from avataq import metrics

    def broken():
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setitem(metrics._sources, "broken", broken)
    samples = scrape(client)
    assert "avataq_payments_due" in samples


def test_under_several_workers_the_scrape_adds_every_workers_files(tmp_path, monkeypatch):
    """gunicorn with PROMETHEUS_MULTIPROC_DIR: the workers' files, plus the project's own."""
    from avataq import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = metrics.scrape_registry()
    names = {family.name for family in registry.collect()}
    assert "avataq_payments_overdue" in names
    assert not any(name.startswith("django_http") for name in names)  # no worker wrote yet


def test_a_short_metrics_token_is_a_named_configuration_error():
    from avataq.tests.test_config import full_mode_environment, manage_check

    result = manage_check({**full_mode_environment(), "METRICS_TOKEN": "short"})
    assert result.returncode != 0
    assert "METRICS_TOKEN" in result.stderr


# --- S3 calls and background tasks ----------------------------------------------------------
def count_of(samples, operation: str, answer: str) -> float:
    counts = samples.get("avataq_s3_call_duration_seconds_count", {})
    return counts.get(tuple(sorted({"operation": operation, "answer": answer}.items())), 0)


def test_s3_calls_are_timed_by_operation_and_answer(client, token, s3):
    from django.core.files.storage import storages

    documents = storages["documents"]
    before = scrape(client)
    documents.put("metrics/transcript.pdf", io.BytesIO(b"%PDF-1.4 a transcript"))
    documents.exists("metrics/no-such-file.pdf")
    after = scrape(client)

    assert count_of(after, "PutObject", "2xx") == count_of(before, "PutObject", "2xx") + 1
    assert count_of(after, "HeadObject", "4xx") == count_of(before, "HeadObject", "4xx") + 1
    assert after["avataq_s3_call_duration_seconds_sum"][
        (("answer", "2xx"), ("operation", "PutObject"))
    ] > before.get("avataq_s3_call_duration_seconds_sum", {}).get(
        (("answer", "2xx"), ("operation", "PutObject")), 0
    )


def test_an_s3_call_that_gets_no_answer_is_timed_as_none(client, token):
    from botocore.exceptions import EndpointConnectionError

    from avataq import s3

    unreachable = s3.client(
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        region_name="us-east-1",
        connect_timeout=0.5,
        read_timeout=0.5,
        attempts=1,
        access_key="key",
        secret_key="secret",
    )
    before = count_of(scrape(client), "HeadBucket", "none")
    with pytest.raises(EndpointConnectionError):
        unreachable.head_bucket(Bucket="documents")

    assert count_of(scrape(client), "HeadBucket", "none") == before + 1


def test_tasks_failed_in_the_last_hour_are_counted_per_task(client, token):
    from django_celery_results.models import TaskResult

    now = timezone.now()

    def result(task_name: str, status: str, age: dt.timedelta) -> None:
        row = TaskResult.objects.create(
            task_id=uuid.uuid4().hex, task_name=task_name, status=status
        )
        TaskResult.objects.filter(pk=row.pk).update(date_done=now - age)

    result("portal.tasks.outgoing_email_send_task", "FAILURE", dt.timedelta(minutes=5))
    result("portal.tasks.outgoing_email_send_task", "FAILURE", dt.timedelta(minutes=50))
    result("portal.tasks.outgoing_email_send_task", "SUCCESS", dt.timedelta(minutes=1))
    result("avataq.tasks.verify_backup_task", "FAILURE", dt.timedelta(hours=3))
    samples = scrape(client)

    recent = "avataq_celery_task_failures_last_hour"
    assert value(samples, recent, task="portal.tasks.outgoing_email_send_task") == 2
    assert value(samples, recent, task="avataq.tasks.verify_backup_task") == 0
    last = value(
        samples,
        "avataq_celery_task_last_failure_timestamp_seconds",
        task="avataq.tasks.verify_backup_task",
    )
    assert last == pytest.approx((now - dt.timedelta(hours=3)).timestamp(), abs=1)
