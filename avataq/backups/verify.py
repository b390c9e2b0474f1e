"""Verifying a backup: restored into a scratch database, every table's row count compared
with the manifest, the scratch database dropped; the result recorded on the backup and,
when it failed, emailed to ops. One verification of a database runs at a time."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone

from avataq.backups.errors import BackupError
from avataq.backups.notify import notify_ops
from avataq.backups.postgres import (
    BackupLock,
    admin_connection,
    database_name,
    drop_database,
    holding,
    table_counts,
)
from avataq.backups.restore import resolve_key, restore_database
from avataq.models import BackupRecord

logger = logging.getLogger(__name__)


@dataclass
class VerifyResult:
    key: str
    ok: bool
    differences: dict[str, tuple[int, int | None]]
    seconds: float


def scratch_prefix() -> str:
    """How the names of this database's scratch databases begin."""
    return f"{database_name()[:30]}_verify_"


def _drop_orphan_scratch_databases() -> None:
    """Scratch databases of verifications whose process died (this one holds the
    verification lock, so no other verification of this database is using one)."""
    prefix = scratch_prefix()
    with admin_connection() as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT datname FROM pg_database").fetchall()
            if re.fullmatch(re.escape(prefix) + r"\d{14}_\d+", row[0])
        ]
    for name in names:
        logger.warning("dropping %s, left by a verification that did not finish", name)
        drop_database(name)


def _record_verification(key: str | None, summary: str) -> None:
    if not key:
        return
    try:
        BackupRecord.objects.filter(key=key).update(
            verified_at=timezone.now(), verification=summary[:4000]
        )
    except DatabaseError:
        logger.exception("could not record the verification of %s", key)


def verify_backup(*, key: str | None = None, latest: bool = True) -> VerifyResult:
    """Restore a backup into a scratch database, compare every table's row count with the
    manifest, drop the scratch database, and report (ops are emailed on failure, and the
    failure is recorded on the backup, whatever it is)."""
    started = time.monotonic()
    refusal = "another verification of this database is running; this one did not start"
    with holding(BackupLock.VERIFY, refusal):
        _drop_orphan_scratch_databases()
        scratch = f"{scratch_prefix()}{timezone.now():%Y%m%d%H%M%S}_{time.monotonic_ns() % 10_000}"
        resolved = None
        try:
            resolved = resolve_key(key=key, latest=latest and not key)
            restored = restore_database(key=resolved, target=scratch)
            actual = table_counts(scratch)
            expected = restored.manifest["table_rows"]
            differences = {
                table: (rows, actual.get(table))
                for table, rows in expected.items()
                if actual.get(table) != rows
            }
            result = VerifyResult(resolved, not differences, differences, 0.0)
        except Exception as exc:
            _record_verification(resolved, f"failed: {exc}")
            notify_ops(
                "backup verification FAILED",
                f"Verifying {resolved or 'the newest backup'} failed: {exc}",
            )
            raise
        finally:
            try:
                drop_database(scratch)
            except BackupError:
                logger.exception("could not drop %s (the next verification will)", scratch)
    result.seconds = time.monotonic() - started
    summary = "ok" if result.ok else f"row counts differ: {result.differences}"
    _record_verification(result.key, summary)
    if not result.ok:
        notify_ops("backup verification FAILED", f"Verifying {result.key}: {summary}")
    return result
