"""The backup commands as ops run them (the services are tested in test_backups.py)."""

import io

import pytest
from django.core.management import CommandError, call_command

from avataq.models import BackupRecord

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_backup_then_list_shows_date_size_status_and_key(backup_s3):
    said = run("backup_database")

    record = BackupRecord.objects.get()
    assert f"backup {record.key}" in said
    listing = run("list_backups")
    assert record.key in listing and "succeeded" in listing and f"{record.size:,}" in listing


def test_list_backups_says_when_there_is_none():
    assert run("list_backups").strip() == "no backup yet"


def test_restore_needs_a_key_or_latest_and_a_target():
    with pytest.raises(CommandError):
        call_command("restore_database", "--target-database", "x")
    with pytest.raises(CommandError):
        call_command("restore_database", "--latest")


def test_restore_refuses_the_live_database(backup_s3):
    from django.db import connection

    run("backup_database")

    with pytest.raises(CommandError, match="--i-know-this-replaces-live-data"):
        call_command(
            "restore_database", "--latest", "--target-database", connection.settings_dict["NAME"]
        )


def test_restore_refuses_a_target_name_that_is_not_a_plain_identifier(backup_s3):
    run("backup_database")

    with pytest.raises(CommandError, match="is not a database name"):
        call_command("restore_database", "--latest", "--target-database", "x; DROP TABLE y")


def test_verify_backup_reports_success(backup_s3):
    run("backup_database")

    assert "verified: every table's row count matches" in run("verify_backup")


def test_prune_backups_reports_what_it_kept(backup_s3):
    run("backup_database")

    assert run("prune_backups").strip().endswith("0 deleted, 1 kept")


def test_configure_backup_lifecycle_explains_when_the_endpoint_refuses(backup_s3):
    # The S3 test server has no lifecycle support; AWS and MinIO do.
    with pytest.raises(CommandError, match="set it by hand"):
        call_command("configure_backup_lifecycle", stdout=io.StringIO())
