"""Backups that did not end well: runs whose process died or that ran past their time
limit (marked failed, ops emailed once), and the multipart uploads failed or dead runs
left open (aborted once S3 answers). ``backups_sweep`` runs hourly."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from avataq.backups.attempt import Attempt
from avataq.backups.errors import BackupDependencyError
from avataq.backups.layout import backup_store
from avataq.backups.notify import notify_ops
from avataq.backups.postgres import lock_held_by
from avataq.models import BackupRecord

logger = logging.getLogger(__name__)

# The backup task's hard time limit (seconds). A run still `running` this long (plus a
# margin) after it started is dead, whatever its lock says.
BACKUP_TIME_LIMIT = 4 * 60 * 60
DEAD_AFTER = dt.timedelta(seconds=BACKUP_TIME_LIMIT + 15 * 60)


def _why_dead(record: BackupRecord, now: dt.datetime) -> str | None:
    if record.lock_pid is not None and not lock_held_by(record.lock_pid):
        return (
            "its process is gone (the advisory lock it held was released without the backup "
            "finishing: the worker was killed, ran out of memory or lost its machine)"
        )
    if now - record.started_at > DEAD_AFTER:
        return f"it did not finish within {DEAD_AFTER.total_seconds() / 3600:.1f} hours"
    return None


def backups_fail_dead_runs(*, now: dt.datetime | None = None) -> list[BackupRecord]:
    """Mark failed every backup still `running` whose process is gone (its advisory lock
    is no longer held) or that has run past its time limit, and email ops — once per
    backup, whoever finds it first. Returns those it marked."""
    now = now or timezone.now()
    marked = []
    for record in BackupRecord.objects.filter(status=BackupRecord.Status.RUNNING).order_by("pk"):
        reason = _why_dead(record, now)
        if reason is None:
            continue
        error = f"Never finished: {reason}."
        if not BackupRecord.objects.filter(pk=record.pk, status=BackupRecord.Status.RUNNING).update(
            status=BackupRecord.Status.FAILED, error=error, finished_at=now
        ):
            continue  # it finished meanwhile, or another sweep marked it
        record.refresh_from_db()
        marked.append(record)
        logger.error("backup %s never finished: %s", record.pk, reason)
        started = timezone.localtime(record.started_at)
        notify_ops(
            "database backup FAILED",
            f"The backup of {record.database} started at {started:%Y-%m-%d %H:%M %Z} "
            f"never finished: {reason}.\n\nIt is marked failed. A scheduled backup whose "
            "worker died is delivered again by the broker and tried once more; "
            "`manage.py list_backups` shows what happened.",
        )
    return marked


@dataclass
class SweepReport:
    dead: list[int] = field(default_factory=list)
    aborted: int = 0  # multipart uploads aborted (or found gone)
    left: int = 0  # still to abort: S3 did not answer


def backups_abort_leftover_uploads() -> tuple[int, int]:
    """Abort the multipart uploads that failed or dead backups left open (S3 was down
    when they failed, or their process died). Stops at the first S3 that does not
    answer. Returns (aborted, left)."""
    store = backup_store()
    records = (
        BackupRecord.objects.exclude(status=BackupRecord.Status.RUNNING)
        .exclude(pending_uploads=[])
        .order_by("pk")
    )
    aborted = left = 0
    for record in records:
        attempt = Attempt(record)
        for upload in attempt.pending():
            if left:
                left += 1
                continue
            try:
                store.abort_upload(upload)
            except BackupDependencyError as exc:
                logger.warning("upload %s of %s still open: %s", upload.upload_id, upload.key, exc)
                left += 1
                continue
            attempt.ended(upload)
            aborted += 1
    return aborted, left


def backups_sweep() -> SweepReport:
    """The hourly look at backups that did not end well: dead runs marked failed (ops
    emailed), the uploads they or failed runs left open aborted when S3 answers."""
    report = SweepReport(dead=[record.pk for record in backups_fail_dead_runs()])
    report.aborted, report.left = backups_abort_leftover_uploads()
    return report
