"""A real Celery worker, on the real Redis, runs the backup task end to end."""

import time

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker

from avataq.celery import app
from avataq.models import BackupRecord

pytestmark = pytest.mark.django_db(transaction=True)


def forget_connections() -> None:
    # An eager .delay() earlier in the run opened a producer pool on the default broker
    # URL. kombu keeps its pools in a global registry keyed by URL, so closing one is not
    # enough (the next acquire would find it closed): reset() closes and forgets them.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_on_redis(redis_url):
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, result_backend=None)
    forget_connections()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    yield app
    app.conf.update(previous)
    forget_connections()


def test_a_worker_on_redis_runs_the_backup_task(celery_on_redis, backup_s3):
    from avataq.tasks import backup_database_task

    with start_worker(celery_on_redis, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        backup_database_task.delay(trigger="test")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            record = BackupRecord.objects.filter(trigger="test").first()
            if record and record.status != "running":
                break
            time.sleep(0.5)

    assert record is not None, "the worker never ran the task"
    assert record.status == "succeeded", record.error
    assert backup_s3.keys(record.key) == [record.key, record.key + ".manifest.json"]


def test_the_beat_schedule_runs_backups_nightly_in_montreal_time(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert settings.CELERY_TIMEZONE == "America/Montreal"
    assert schedule["nightly-backup"]["task"] == "avataq.tasks.backup_database_task"
    assert schedule["nightly-backup"]["schedule"].hour == {2}
    assert schedule["nightly-backup-pruning"]["task"] == "avataq.tasks.prune_backups_task"
    assert schedule["weekly-backup-verification"]["schedule"].day_of_week == {0}


def test_the_visibility_timeout_outlasts_every_task_without_a_lock_of_its_own(settings):
    # Tasks that may run longer (the backup, its verification) hold an advisory lock: a
    # copy delivered again while they run stands down (avataq.tasks).
    assert (
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        > settings.CELERY_TASK_TIME_LIMIT
    )
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_a_backup_whose_worker_dies_is_handed_out_again():
    from avataq.tasks import backup_database_task

    assert backup_database_task.acks_late and backup_database_task.reject_on_worker_lost


@app.task(name="avataq.tests.always_fails")
def always_fails(email: str, record_id: int) -> None:
    raise RuntimeError("the test task fails on purpose")


def test_a_task_that_fails_on_a_real_worker_is_kept_for_ops_with_its_text_masked(
    celery_on_redis, client, settings
):
    from avataq.models import FailedTask
    from avataq.queue import broker_back, publish
    from avataq.tests.test_metrics import TOKEN, scrape, value

    celery_on_redis.conf.update(result_backend=settings.CELERY_RESULT_BACKEND)
    broker_back()
    with start_worker(celery_on_redis, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        assert publish(always_fails, "student@example.org", 42)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not FailedTask.objects.exists():
            time.sleep(0.2)

    failed = FailedTask.objects.get()
    assert failed.task_name == "avataq.tests.always_fails"
    assert "the test task fails on purpose" in failed.traceback
    assert "student@example.org" not in failed.task_args + failed.traceback
    assert "42" in failed.task_args
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = None
    samples = scrape(client)
    assert value(samples, "avataq_celery_task_failures_last_hour", task=failed.task_name) == 1


def test_only_failures_are_kept_and_for_two_weeks(settings):
    assert settings.CELERY_TASK_IGNORE_RESULT
    assert settings.CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED
    assert settings.CELERY_RESULT_EXPIRES.days == 14
