"""Backups against the real PostgreSQL and the real S3-compatible test server."""

import base64
import datetime as dt
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core import mail
from django.db import connection
from psycopg import sql

from avataq import backups, encryption
from avataq.backups.verify import scratch_prefix
from avataq.models import BackupRecord
from enrollment.tests.factories import EnrollmentFactory
from scholarships.models import Student

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def local_backups(settings, tmp_path):
    settings.BACKUP_BUCKET = None
    settings.AWS_STORAGE_BUCKET_NAME = None
    settings.DATA_DIR = tmp_path
    settings.ADMINS = [("Ops", "ops@example.org")]
    return tmp_path / "backups"


@pytest.fixture
def scratch_database():
    """A database name to restore into, dropped afterwards."""
    name = f"avataq_test_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(backups.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def some_data():
    return EnrollmentFactory.create_batch(3)


def server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def fake_pg_dump(directory: Path, body: str) -> Path:
    """A pg_dump of the server's version whose output and exit code the test decides."""
    directory.mkdir(exist_ok=True)
    script = directory / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) {server_major()}.99"; '
        "exit 0; fi\n"
        f"{body}\n"
    )
    script.chmod(0o755)
    real_restore = backups.pg_tool("pg_restore", server_major())
    (directory / "pg_restore").symlink_to(real_restore)
    return directory


def test_backup_then_restore_gives_the_same_rows(backup_s3, some_data, scratch_database):
    record = backups.backup_database()

    backups.restore_database(key=record.key, target=scratch_database)

    assert backups.table_counts(scratch_database) == backups.table_counts(
        connection.settings_dict["NAME"]
    )
    with psycopg.connect(backups.conninfo(scratch_database)) as conn:
        restored = conn.execute(
            "SELECT status_no, first_name, last_name, date_of_birth FROM scholarships_student "
            "ORDER BY status_no"
        ).fetchall()
    assert restored == list(
        Student.objects.order_by("status_no").values_list(
            "status_no", "first_name", "last_name", "date_of_birth"
        )
    )


def test_a_restored_copy_records_its_own_backup_as_taken_not_running(
    backup_s3, some_data, scratch_database
):
    record = backups.backup_database()

    backups.restore_database(key=record.key, target=scratch_database)

    with psycopg.connect(backups.conninfo(scratch_database)) as conn:
        status, size, finished = conn.execute(
            "SELECT status, size, finished_at FROM avataq_backuprecord WHERE key = %s",
            [record.key],
        ).fetchone()
    manifest = backups.backup_store().get_json(record.key + backups.MANIFEST_SUFFIX)
    assert (status, size) == ("succeeded", record.size)
    assert finished == dt.datetime.fromisoformat(manifest["finished_at"])


def test_a_backup_has_its_key_and_a_manifest_describing_it(backup_s3, some_data):
    import hashlib

    record = backups.backup_database()

    assert record.status == "succeeded"
    name = connection.settings_dict["NAME"]
    assert record.key.startswith(f"backups/{name}/{record.started_at:%Y/%m}/")
    manifest = backups.backup_store().get_json(record.key + backups.MANIFEST_SUFFIX)
    content = backup_s3.read(record.key)
    assert (manifest["size"], manifest["sha256"]) == (
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    assert manifest["table_rows"]["public.scholarships_student"] == 3
    assert manifest["server_version"] and manifest["pg_dump_version"].startswith("pg_dump")
    assert content.startswith(b"PGDMP")
    assert backup_s3.keys(f"backups/{name}/incoming/") == []


def test_a_corrupted_dump_is_refused_before_anything_is_touched(
    backup_s3, some_data, scratch_database
):
    record = backups.backup_database()
    content = bytearray(backup_s3.read(record.key))
    content[len(content) // 2] ^= 0x01
    backup_s3.client.put_object(Bucket=backup_s3.name, Key=record.key, Body=bytes(content))

    with pytest.raises(backups.BackupCorrupt, match="does not match its manifest"):
        backups.restore_database(key=record.key, target=scratch_database)

    assert not backups.database_exists(scratch_database)


def test_an_interrupted_dump_leaves_no_complete_looking_object_and_a_failed_record(
    backup_s3, settings, tmp_path
):
    settings.BACKUP_PART_SIZE = 5 * 1024 * 1024
    settings.PG_BIN_DIR = str(
        fake_pg_dump(
            tmp_path / "bin", "head -c 12000000 /dev/urandom; echo 'connection lost' >&2; exit 1"
        )
    )

    calls = []
    for operation in ("UploadPart", "AbortMultipartUpload", "CompleteMultipartUpload"):
        backups.s3_client().meta.events.register(
            f"before-call.s3.{operation}", lambda model, **kw: calls.append(model.name)
        )

    with pytest.raises(backups.BackupError, match="pg_dump exited 1: connection lost"):
        backups.backup_database()

    assert backup_s3.keys("backups/") == []
    assert calls.count("UploadPart") >= 2  # it was interrupted midway, parts already sent
    assert "AbortMultipartUpload" in calls and "CompleteMultipartUpload" not in calls
    record = BackupRecord.objects.get()
    assert (record.status, record.error) == ("failed", "pg_dump exited 1: connection lost")
    assert "backup FAILED" in mail.outbox[0].subject


def test_an_interrupted_local_dump_leaves_no_partial_file(local_backups, settings, tmp_path):
    settings.PG_BIN_DIR = str(fake_pg_dump(tmp_path / "bin", "head -c 100000 /dev/urandom; exit 1"))

    with pytest.raises(backups.BackupError):
        backups.backup_database()

    assert backups.backup_store().pending_uploads("backups/") == []
    assert backups.backup_store().list("backups/") == []


def test_a_dump_pg_restore_cannot_read_is_not_kept(backup_s3, settings, tmp_path):
    settings.PG_BIN_DIR = str(fake_pg_dump(tmp_path / "bin", "echo 'not a dump'; exit 0"))

    with pytest.raises(backups.BackupError, match="pg_restore --list could not read the dump"):
        backups.backup_database()

    assert backup_s3.keys("backups/") == []
    assert BackupRecord.objects.get().status == "failed"


def test_the_lock_refuses_a_concurrent_backup(backup_s3):
    with psycopg.connect(backups.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [backups.LOCK_KEY])

        with pytest.raises(backups.BackupInProgress, match="another backup"):
            backups.backup_database()

    assert not BackupRecord.objects.exists()
    assert backups.backup_database().status == "succeeded"  # released with its connection


def test_the_task_exits_saying_why_when_a_backup_is_running(backup_s3):
    from avataq.tasks import backup_database_task

    with psycopg.connect(backups.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [backups.LOCK_KEY])
        result = backup_database_task.apply().get()

    assert result["status"] == "skipped"
    assert "another backup" in result["reason"]


def test_restore_refuses_the_live_database_without_the_explicit_flag(backup_s3, some_data):
    record = backups.backup_database()

    with pytest.raises(backups.BackupError, match="is the live database"):
        backups.restore_database(key=record.key, target=connection.settings_dict["NAME"])


def test_restore_refuses_a_database_that_already_holds_tables(
    backup_s3, some_data, scratch_database
):
    record = backups.backup_database()
    backups.restore_database(key=record.key, target=scratch_database)

    with pytest.raises(backups.BackupError, match="already holds tables"):
        backups.restore_database(key=record.key, target=scratch_database)

    backups.restore_database(key=record.key, target=scratch_database, replace_existing=True)


def test_verify_restores_compares_counts_and_drops_the_scratch_database(backup_s3, some_data):
    record = backups.backup_database()

    result = backups.verify_backup(latest=True)

    assert (result.key, result.ok) == (record.key, True)
    record.refresh_from_db()
    assert record.verification == "ok"
    assert scratch_databases() == []


def scratch_databases() -> list[str]:
    with psycopg.connect(backups.conninfo("postgres")) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    return [name for name in names if name.startswith(scratch_prefix())]


def test_verify_drops_the_scratch_database_a_dead_verification_left(backup_s3, some_data):
    backups.backup_database()
    with psycopg.connect(backups.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {}").format(
                sql.Identifier(f"{scratch_prefix()}20261101021500_42")
            )
        )

    backups.verify_backup(latest=True)

    assert scratch_databases() == []


def test_a_second_verification_stands_down_while_one_runs(backup_s3):
    with psycopg.connect(backups.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [int(backups.BackupLock.VERIFY)])

        with pytest.raises(backups.BackupInProgress, match="another verification"):
            backups.verify_backup(latest=True)

    assert mail.outbox == []


def test_verify_reports_and_emails_a_count_that_differs(backup_s3, some_data):
    record = backups.backup_database()
    store = backups.backup_store()
    manifest = store.get_json(record.key + backups.MANIFEST_SUFFIX)
    manifest["table_rows"]["public.scholarships_student"] = 99
    store.put_json(record.key + backups.MANIFEST_SUFFIX, manifest)

    result = backups.verify_backup(latest=True)

    assert not result.ok
    assert result.differences == {"public.scholarships_student": (99, 3)}
    assert "verification FAILED" in mail.outbox[-1].subject


def test_an_encrypted_backup_restores_and_is_unreadable_without_its_key(
    backup_s3, settings, some_data, scratch_database
):
    settings.BACKUP_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    record = backups.backup_database()
    stored = backup_s3.read(record.key)

    backups.restore_database(key=record.key, target=scratch_database)

    assert stored.startswith(b"AVQENC1\n") and b"scholarships_student" not in stored
    assert backups.table_counts(scratch_database)["public.scholarships_student"] == 3
    settings.BACKUP_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(Exception, match="fails authentication"):
        list(encryption.decrypting(iter([stored])))


def test_the_embedded_default_backs_up_to_local_files(local_backups, some_data, scratch_database):
    record = backups.backup_database()

    assert (local_backups / record.key).exists()
    backups.restore_database(latest=True, target=scratch_database)
    assert backups.table_counts(scratch_database)["public.scholarships_student"] == 3


def put_fake_backup(store, database: str, taken: dt.datetime, complete: bool = True) -> str:
    stamp = taken.astimezone(dt.UTC).strftime(backups.KEY_STAMP)
    key = f"backups/{database}/{taken:%Y}/{taken:%m}/{stamp}.dump"
    writer = store.writer(key)
    writer.write(b"PGDMP")
    writer.complete()
    if complete:
        store.put_json(key + backups.MANIFEST_SUFFIX, {"size": 5})
    return key


def test_pruning_keeps_exactly_the_last_30_days(local_backups):
    store, database = backups.backup_store(), backups.database_name()
    now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
    keys = {
        day: put_fake_backup(store, database, now - dt.timedelta(days=day, hours=1))
        for day in range(60)
    }

    report = backups.backups_prune(keep_days=30, now=now)

    assert sorted(report.kept) == sorted(keys[d] for d in range(30))
    assert sorted(report.deleted) == sorted(keys[d] for d in range(30, 60))
    remaining = {b.key for b in backups.stored_backups(database)}
    assert remaining == {keys[d] for d in range(30)}
    assert not (local_backups / (keys[45] + backups.MANIFEST_SUFFIX)).exists()


def test_pruning_never_deletes_the_newest_complete_backup(local_backups):
    store, database = backups.backup_store(), backups.database_name()
    now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
    newest_complete = put_fake_backup(store, database, now - dt.timedelta(days=40))
    put_fake_backup(store, database, now - dt.timedelta(days=35), complete=False)
    put_fake_backup(store, database, now - dt.timedelta(days=50))

    report = backups.backups_prune(keep_days=30, now=now)

    assert report.kept == [newest_complete]
    assert len(report.deleted) == 2


def test_pruning_removes_a_manifest_left_without_its_dump(local_backups):
    store, database = backups.backup_store(), backups.database_name()
    now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
    kept = put_fake_backup(store, database, now - dt.timedelta(days=1, hours=1))
    orphan = put_fake_backup(store, database, now - dt.timedelta(days=2))
    store.delete(orphan)  # an interrupted backup's cleanup got this far only

    backups.backups_prune(keep_days=30, now=now)

    left = {o.key for o in store.list("backups/")}
    assert left == {kept, kept + backups.MANIFEST_SUFFIX}


def test_a_stale_backup_alerts_ops_by_email(local_backups):
    BackupRecord.objects.create(
        database="x",
        status="succeeded",
        key="k",
        finished_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=27),
    )

    assert backups.backups_alert_if_stale() is True
    assert "STALE" in mail.outbox[0].subject
    assert "27 hours ago" in mail.outbox[0].body
