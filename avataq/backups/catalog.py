"""The backups there are: listing the store, their freshness (ops emailed when the newest
good one is too old), and pruning what is past ``BACKUP_KEEP_DAYS``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from avataq.backups.layout import MANIFEST_SUFFIX, backup_store, stamp_of
from avataq.backups.notify import notify_ops
from avataq.backups.postgres import database_name
from avataq.models import BackupRecord


@dataclass(frozen=True)
class StoredBackup:
    key: str
    size: int
    taken_at: dt.datetime
    complete: bool  # has its manifest


def stored_backups(database: str | None = None) -> list[StoredBackup]:
    """Backups in the store, oldest first (``incoming/`` leftovers excluded)."""
    database = database or database_name()
    objects = backup_store().list(f"backups/{database}/")
    names = {o.key for o in objects}
    found = []
    for obj in objects:
        taken = stamp_of(obj.key)
        if taken is None or not obj.key.endswith(".dump") or "/incoming/" in obj.key:
            continue
        found.append(StoredBackup(obj.key, obj.size, taken, obj.key + MANIFEST_SUFFIX in names))
    return sorted(found, key=lambda b: b.taken_at)


def newest_successful_backup() -> BackupRecord | None:
    return (
        BackupRecord.objects.filter(status=BackupRecord.Status.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )


def backup_age() -> dt.timedelta | None:
    newest = newest_successful_backup()
    return timezone.now() - newest.finished_at if newest else None


def backup_is_stale() -> bool:
    age = backup_age()
    return age is None or age > dt.timedelta(hours=settings.BACKUP_MAX_AGE_HOURS)


def backups_alert_if_stale() -> bool:
    """Email ops when the newest successful backup is too old. True when it was."""
    if not backup_is_stale():
        return False
    age = backup_age()
    said = f"{age.total_seconds() / 3600:.0f} hours ago" if age else "never"
    notify_ops(
        "database backups are STALE",
        f"The newest successful backup of {database_name()} finished {said} "
        f"(the limit is {settings.BACKUP_MAX_AGE_HOURS} hours).",
    )
    return True


@dataclass
class PruneReport:
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def backups_prune(*, keep_days: int | None = None, now: dt.datetime | None = None) -> PruneReport:
    """Delete backups older than ``keep_days`` (setting ``BACKUP_KEEP_DAYS``), never the
    newest complete one; and, older than a day, ``incoming/`` leftovers and manifests
    whose dump is gone (what an interrupted backup's cleanup could not remove)."""
    keep_days = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
    now = now or timezone.now()
    store, database = backup_store(), database_name()
    backups = stored_backups(database)
    complete = [b for b in backups if b.complete]
    newest = complete[-1].key if complete else None
    cutoff = now - dt.timedelta(days=keep_days)
    report = PruneReport()
    for backup in backups:
        if backup.taken_at >= cutoff or backup.key == newest:
            report.kept.append(backup.key)
            continue
        store.delete(backup.key)  # the dump first: never a dump without its manifest
        store.delete(backup.key + MANIFEST_SUFFIX)
        BackupRecord.objects.filter(key=backup.key).update(status=BackupRecord.Status.PRUNED)
        report.deleted.append(backup.key)
    dumps = {b.key for b in backups}
    for leftover in store.list(f"backups/{database}/"):
        taken = stamp_of(leftover.key)
        orphan = "/incoming/" in leftover.key or (
            leftover.key.endswith(MANIFEST_SUFFIX)
            and leftover.key.removesuffix(MANIFEST_SUFFIX) not in dumps
        )
        if orphan and taken is not None and taken < now - dt.timedelta(days=1):
            store.delete(leftover.key)
    return report
