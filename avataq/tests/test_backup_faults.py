"""Backups when a dependency fails mid-operation: S3 stopping, hanging or losing an answer
(a FaultProxy in front of this module's own S3 test server, so stopping it disturbs no
other test), a worker killed in the middle of a backup. Each test asserts what ops see
(the record, the emails, the commands' output) and what is left in the bucket."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.core import mail
from django.core.management import call_command, load_command_class
from django.db import connection

from avataq import backups
from avataq.backups import s3client
from avataq.dev import s3server
from avataq.dev.faults import FaultProxy
from avataq.models import BackupRecord
from avataq.tests.test_backups import fake_pg_dump

pytestmark = pytest.mark.django_db(transaction=True)

PART = 5 * 1024 * 1024  # S3's smallest part: a few parts make a "mid-upload"
LOCK = 0x41564151  # the backups' advisory lock ("AVAQ")


@pytest.fixture(scope="module")
def s3rver():
    server = s3server.start()
    if isinstance(server, str):
        pytest.skip(f"no S3 test server: {server}")
    yield server
    server.stop()


@dataclass
class FaultyS3:
    """The backups' S3, behind a proxy that notes the request line of every request it
    forwards and fails on demand; ``direct`` reads the bucket behind the proxy's back."""

    proxy: FaultProxy
    bucket: str
    direct: object
    seen: list[str]
    drop: Callable[[str, bytes], bool]

    def objects(self, prefix: str = "backups/") -> list[str]:
        listing = self.direct.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def passes(self) -> None:
        self.drop = lambda line, head: False
        self.proxy.mode = "drop_response"  # what passes is still noted (see _note)

    def requests(self, method: str, marker: str) -> list[str]:
        return [line for line in self.seen if line.startswith(method) and marker in line]


@pytest.fixture
def faulty_s3(s3rver, settings, monkeypatch):
    import boto3
    from botocore.config import Config

    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    direct = boto3.client(
        "s3",
        endpoint_url=s3rver.endpoint,
        region_name="us-east-1",
        aws_access_key_id=s3server.ACCESS_KEY,
        aws_secret_access_key=s3server.SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    direct.create_bucket(Bucket=bucket)
    proxy = FaultProxy("127.0.0.1", int(s3rver.endpoint.rsplit(":", 1)[1]))
    faulty = FaultyS3(proxy, bucket, direct, [], lambda line, head: False)

    def note(first_bytes: bytes) -> bool:
        line = first_bytes.split(b"\r\n", 1)[0].decode(errors="replace")
        faulty.seen.append(line)
        return faulty.drop(line, first_bytes.lower())

    # "drop_response" with a predicate that drops nothing is a proxy that notes each
    # request (it reads the first bytes of every connection) and passes it on.
    proxy.mode, proxy.drop_after = "drop_response", note
    settings.BACKUP_BUCKET = bucket
    settings.AWS_S3_ENDPOINT_URL = proxy.endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = s3server.ACCESS_KEY
    settings.AWS_SECRET_ACCESS_KEY = s3server.SECRET_KEY
    settings.BACKUP_PART_SIZE = PART
    settings.ADMINS = [("Ops", "ops@example.org")]
    # Production's timeouts scaled down: a hanging S3 costs seconds here, not minutes
    # (set where s3_client and s3_failure read them).
    monkeypatch.setattr(s3client, "S3_CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(s3client, "S3_READ_TIMEOUT", 2)
    monkeypatch.setattr(s3client, "S3_MAX_ATTEMPTS", 2)

    def one_request_per_connection(request, **kwargs) -> None:
        # Each request on its own connection, so the proxy sees (and can fail) every one,
        # and a change of mode applies from the next request on.
        request.headers["Connection"] = "close"

    backups.s3_client().meta.events.register("before-send.s3", one_request_per_connection)
    yield faulty
    proxy.close()


def dead_pid() -> int:
    """The process id of a PostgreSQL connection that has ended (so holds no lock)."""
    with psycopg.connect(backups.conninfo(), autocommit=True) as conn:
        return conn.info.backend_pid


def failure_emails() -> list:
    return [m for m in mail.outbox if "backup FAILED" in m.subject]


def run_command(capsys, *argv: str) -> tuple[int, str]:
    """A management command as ops run it: (exit status, stderr)."""
    # run_from_argv, not ManagementUtility: that would set Django up again, pointing the
    # logging handlers at this test's captured stderr.
    try:
        load_command_class("avataq", argv[0]).run_from_argv(["manage.py", *argv])
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr().err


def within(seconds: float, operation: Callable[[], object]) -> BaseException | None:
    """Run ``operation`` in a thread; fail when it is still running after ``seconds``
    (what it raised is returned)."""
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            operation()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting for S3 after {seconds} s"
    return outcome.get("error")


def failure_of(operation: Callable[[], object]) -> Exception:
    try:
        operation()
    except Exception as exc:
        return exc
    pytest.fail("it did not fail")


def interrupt_after_the_final_copy(faulty: FaultyS3) -> Exception:
    """S3 makes the final copy, its answer is lost, and S3 goes away: the cleanup
    cannot reach it either."""

    def drop_the_copy(line: str, head: bytes) -> bool:
        if line.startswith("PUT ") and b"x-amz-copy-source" in head:
            faulty.proxy.mode = "refuse"
            return True
        return False

    faulty.drop = drop_the_copy
    return failure_of(backups.backup_database)


def test_a_backup_interrupted_after_its_final_copy_leaves_no_dump_without_its_manifest(
    faulty_s3,
):
    interrupt_after_the_final_copy(faulty_s3)

    record = BackupRecord.objects.get()
    left = faulty_s3.objects()
    assert record.key in left  # the copy was made: S3 did it, the answer was lost
    dumps = [key for key in left if key.endswith(".dump") and "/incoming/" not in key]
    assert all(dump + backups.MANIFEST_SUFFIX in left for dump in dumps)


def test_a_backup_interrupted_after_its_final_copy_records_that_failure_not_the_cleanups(
    faulty_s3,
):
    error = interrupt_after_the_final_copy(faulty_s3)

    record = BackupRecord.objects.get()
    first_line, *rest = record.error.splitlines()
    assert isinstance(error, backups.BackupDependencyError) and str(error) == first_line
    assert record.status == "failed"
    assert first_line.startswith("S3 (") and "is not answering: could not copy" in first_line
    assert f"could not delete {record.key}" in "\n".join(rest)
    [email] = failure_emails()
    assert first_line in email.body


def test_a_lost_answer_to_the_upload_completion_leaves_nothing_under_backups(faulty_s3):
    faulty_s3.drop = lambda line, head: line.startswith("POST ") and "uploadId=" in line

    error = failure_of(backups.backup_database)

    assert faulty_s3.objects() == []  # S3 had completed it: the incoming dump is deleted
    assert "could not complete the upload" in str(error)
    assert BackupRecord.objects.get().status == "failed"


def stop_s3_after_two_parts(faulty: FaultyS3, tmp_path: Path, settings) -> None:
    settings.PG_BIN_DIR = str(fake_pg_dump(tmp_path / "bin", "head -c 20000000 /dev/urandom"))

    def refuse_after_part_two(line: str, head: bytes) -> bool:
        if re.search(r"[?&]partNumber=2\b", line):
            faulty.proxy.mode = "refuse"
        return False

    faulty.drop = refuse_after_part_two
    with pytest.raises(backups.BackupDependencyError):
        backups.backup_database()


def test_s3_stopping_mid_upload_fails_the_backup_naming_s3_and_tells_ops(
    faulty_s3, tmp_path, settings
):
    stop_s3_after_two_parts(faulty_s3, tmp_path, settings)

    record = BackupRecord.objects.get()
    assert record.status == "failed"
    assert record.error.startswith(f"S3 ({faulty_s3.proxy.endpoint}) is not answering: ")
    assert "could not upload part 3" in record.error.splitlines()[0]
    assert len(failure_emails()) == 1
    assert faulty_s3.objects() == []


def test_the_upload_s3_stopping_left_open_is_aborted_once_s3_answers_again(
    faulty_s3, tmp_path, settings
):
    from avataq.tasks import backups_freshness_task

    stop_s3_after_two_parts(faulty_s3, tmp_path, settings)
    [upload] = BackupRecord.objects.get().pending_uploads
    faulty_s3.passes()
    faulty_s3.seen.clear()

    result = backups_freshness_task.apply().get()

    assert faulty_s3.requests("DELETE ", f"uploadId={upload['upload_id']}")
    assert result["uploads_left"] == 0
    assert BackupRecord.objects.get().pending_uploads == []


def test_a_hanging_s3_fails_the_backup_within_its_timeouts_and_tells_ops(faulty_s3):
    def hang_after_the_first_part(line: str, head: bytes) -> bool:
        if re.search(r"[?&]partNumber=1\b", line):
            faulty_s3.proxy.mode = "hang"
        return False

    faulty_s3.drop = hang_after_the_first_part

    error = within(60, backups.backup_database)

    assert isinstance(error, backups.BackupDependencyError)
    record = BackupRecord.objects.get()
    assert record.status == "failed" and "is not answering" in record.error
    assert len(failure_emails()) == 1
    assert record.pending_uploads  # its abort could not be sent: the sweep will


# --- a worker killed mid-backup --------------------------------------------------------------
def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


CHILD = """
import django
django.setup()
from avataq import backups
backups.s3_client().meta.events.register(  # as the fixture does: the proxy sees every request
    "before-send.s3", lambda request, **kwargs: request.headers.__setitem__("Connection", "close")
)
backups.backup_database(trigger="killed")
"""


def kill_a_backup_mid_upload(faulty: FaultyS3, tmp_path: Path) -> BackupRecord:
    """A backup in another process, killed (SIGKILL, as the OOM killer or a lost machine
    would) once its first part is in S3."""
    bin_dir = fake_pg_dump(tmp_path / "bin", "head -c 6000000 /dev/urandom; sleep 60")
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "avataq.settings",
        "DATABASE_URL": database_url(),
        "AVATAQ_DATA_DIR": str(tmp_path / "data"),
        "PG_BIN_DIR": str(bin_dir),
        "BACKUP_BUCKET": faulty.bucket,
        "BACKUP_PART_SIZE": str(PART),
        "AWS_S3_ENDPOINT_URL": faulty.proxy.endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3server.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": s3server.SECRET_KEY,
    }
    env.pop("CELERY_BROKER_URL", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(re.search(r"[?&]partNumber=1\b", line) for line in faulty.seen):
            assert child.poll() is None, "the backup process ended by itself"
            assert time.monotonic() < deadline, "the backup never sent its first part"
            time.sleep(0.1)
        record = BackupRecord.objects.get()
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the worker and its pg_dump
        child.wait()
    with psycopg.connect(backups.conninfo(), autocommit=True) as probe:
        deadline = time.monotonic() + 10
        # The server notices its client is gone and releases the backup's lock.
        while not probe.execute("SELECT pg_try_advisory_lock(%s)", [LOCK]).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed backup's lock is still held"
            time.sleep(0.1)
        probe.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    return record


def test_a_backup_whose_worker_was_killed_is_marked_failed_and_ops_are_emailed_once(
    faulty_s3, tmp_path
):
    from avataq.tasks import backups_freshness_task

    killed = kill_a_backup_mid_upload(faulty_s3, tmp_path)
    assert BackupRecord.objects.get(pk=killed.pk).status == "running"

    backups_freshness_task.apply().get()
    backups_freshness_task.apply().get()

    record = BackupRecord.objects.get(pk=killed.pk)
    assert record.status == "failed" and record.finished_at is not None
    assert record.error.startswith("Never finished: its process is gone")
    [email] = failure_emails()
    assert "never finished" in email.body


def test_the_upload_of_a_killed_backup_is_aborted_by_the_sweep(faulty_s3, tmp_path):
    from avataq.tasks import backups_freshness_task

    killed = kill_a_backup_mid_upload(faulty_s3, tmp_path)
    [upload] = killed.pending_uploads

    backups_freshness_task.apply().get()

    assert faulty_s3.requests("DELETE ", f"uploadId={upload['upload_id']}")
    assert BackupRecord.objects.get(pk=killed.pk).pending_uploads == []
    assert [key for key in faulty_s3.objects() if "/incoming/" not in key] == []


def running_record(**fields) -> BackupRecord:
    record = BackupRecord.objects.create(database=backups.database_name(), key="backups/x.dump")
    BackupRecord.objects.filter(pk=record.pk).update(**fields)
    record.refresh_from_db()
    return record


def test_a_run_past_its_time_limit_is_marked_failed_and_ops_are_emailed_once(settings):
    from django.utils import timezone

    settings.ADMINS = [("Ops", "ops@example.org")]
    record = running_record(started_at=timezone.now() - backups.DEAD_AFTER * 1.5)

    backups.backups_sweep()
    backups.backups_sweep()

    record.refresh_from_db()
    assert record.status == "failed" and "did not finish within 4.2 hours" in record.error
    assert len(failure_emails()) == 1


def test_list_backups_shows_a_dead_run_as_failed_not_running(settings):
    import io

    settings.ADMINS = [("Ops", "ops@example.org")]
    running_record(lock_pid=dead_pid())
    out = io.StringIO()

    call_command("list_backups", stdout=out)

    [row] = out.getvalue().splitlines()[1:]
    assert "  failed  " in row and "running" not in row
    assert "Never finished: its process is gone" in row
    assert len(failure_emails()) == 1


def test_a_running_backup_whose_lock_is_held_is_left_running(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    with psycopg.connect(backups.conninfo(), autocommit=True) as alive:
        alive.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        record = running_record(lock_pid=alive.info.backend_pid)

        assert backups.backups_sweep().dead == []

    assert BackupRecord.objects.get(pk=record.pk).status == "running"
    assert failure_emails() == []


def test_a_backup_task_delivered_again_after_its_worker_died_takes_the_backup(faulty_s3):
    from avataq.tasks import backup_database_task

    dead = running_record(task_id="nightly-1", lock_pid=dead_pid(), trigger="beat")

    result = backup_database_task.apply(task_id="nightly-1").get()

    assert result["status"] == "succeeded"
    assert BackupRecord.objects.get(pk=dead.pk).status == "failed"
    assert BackupRecord.objects.filter(task_id="nightly-1").count() == 2
    assert len(failure_emails()) == 1  # the dead attempt, found by the redelivery


def test_a_backup_task_stands_down_after_two_attempts(faulty_s3):
    from avataq.tasks import backup_database_task

    for _ in range(backups.TASK_ATTEMPTS):
        running_record(task_id="nightly-2", status="failed", error="Never finished")

    result = backup_database_task.apply(task_id="nightly-2").get()

    assert result["status"] == "skipped" and "attempts" in result["reason"]
    assert BackupRecord.objects.filter(task_id="nightly-2").count() == backups.TASK_ATTEMPTS


# --- the operator commands -------------------------------------------------------------------
S3_COMMANDS = [
    ["backup_database"],
    ["prune_backups"],
    ["restore_database", "--latest", "--target-database", "avataq_never_restored"],
    ["verify_backup"],
]


@pytest.mark.parametrize("argv", S3_COMMANDS, ids=[argv[0] for argv in S3_COMMANDS])
def test_a_backup_command_says_in_one_line_that_s3_is_down_and_exits_2(faulty_s3, capsys, argv):
    faulty_s3.proxy.mode = "refuse"

    status, stderr = run_command(capsys, *argv)

    assert status == backups.EXIT_UNAVAILABLE
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stderr.startswith(f"CommandError: S3 ({faulty_s3.proxy.endpoint}) is not answering")


@pytest.mark.parametrize(
    "name",
    ["backup_database", "list_backups", "prune_backups", "restore_database", "verify_backup"],
)
def test_a_backup_command_documents_its_exit_status_in_its_help(name):
    parser = load_command_class("avataq", name).create_parser("manage.py", name)

    assert "Exit status: 0 done; 1 it ran and failed" in " ".join(parser.format_help().split())


def test_backup_database_exits_3_when_another_backup_is_running(faulty_s3, capsys):
    with psycopg.connect(backups.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [LOCK])

        status, stderr = run_command(capsys, "backup_database")

    assert (status, stderr.count("\n")) == (backups.EXIT_SKIPPED, 1)
    assert "another backup" in stderr


def test_restoring_a_key_the_bucket_does_not_have_exits_2(faulty_s3, capsys):
    status, stderr = run_command(
        capsys,
        "restore_database",
        "--key",
        "backups/x/2026/01/20260101T000000Z.dump",
        "--target-database",
        "avataq_never_restored",
    )

    assert (status, stderr.count("\n")) == (backups.EXIT_UNAVAILABLE, 1)
    assert "there is no backup backups/x/2026/01/20260101T000000Z.dump" in stderr


def test_verify_backup_with_the_wrong_encryption_key_records_the_failure_and_exits_1(
    faulty_s3, settings, capsys
):
    settings.BACKUP_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    record = backups.backup_database()
    settings.BACKUP_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()

    status, stderr = run_command(capsys, "verify_backup")

    assert (status, stderr.count("\n")) == (backups.EXIT_FAILED, 1)
    assert "BACKUP_ENCRYPTION_KEY is not the key it was made with" in stderr
    record.refresh_from_db()
    assert record.verification.startswith("failed: ") and record.verified_at is not None
    assert any("verification FAILED" in m.subject for m in mail.outbox)
