"""One backup run's bookkeeping: the multipart uploads it has open, kept on its record so
that the sweep aborts them if its process dies, and the cleanup steps that failed, told
after the failure that made them run, never instead of it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from avataq.backups.errors import BackupDependencyError, one_line
from avataq.backups.store import PendingUpload
from avataq.models import BackupRecord

logger = logging.getLogger(__name__)


class Attempt:
    """The :class:`~avataq.backups.store.UploadTracker` of one backup's record."""

    def __init__(self, record: BackupRecord) -> None:
        self.record = record
        self.cleanup_failures: list[str] = []
        self._s3_gone = False

    def started(self, upload: PendingUpload) -> None:
        self._save([*self.record.pending_uploads, upload.as_json()])

    def ended(self, upload: PendingUpload) -> None:
        self._save([u for u in self.record.pending_uploads if u != upload.as_json()])

    def pending(self) -> list[PendingUpload]:
        return [PendingUpload(**u) for u in self.record.pending_uploads]

    def _save(self, uploads: list[dict]) -> None:
        self.record.pending_uploads = uploads
        BackupRecord.objects.filter(pk=self.record.pk).update(pending_uploads=uploads)

    def cleanup(self, what: str, step: Callable, *args: Any) -> bool:
        """Run one cleanup step; False (logged, kept for the record) when it failed.
        Once S3 proved unreachable the remaining steps are not tried: each would wait
        for its timeouts too, and the sweep and the pruning retry what is left."""
        if self._s3_gone:
            self.cleanup_failures.append(f"did not {what}: S3 was unreachable")
            return False
        try:
            step(*args)
        except Exception as exc:
            logger.warning("backup %s: could not %s", self.record.pk, what, exc_info=True)
            self.cleanup_failures.append(f"could not {what}: {one_line(exc, 300)}")
            self._s3_gone = isinstance(exc, BackupDependencyError)
            return False
        return True
