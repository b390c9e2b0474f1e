"""What a backup store is: the objects it lists, the writers it hands out, the multipart
uploads it reports to a tracker. :mod:`~avataq.backups.s3store` and
:mod:`~avataq.backups.localstore` implement it; :func:`avataq.backups.layout.backup_store`
picks one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

READ_SIZE = 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload begun and not yet completed or aborted: its parts are stored
    (and billed) but no object shows."""

    key: str
    upload_id: str

    def as_json(self) -> dict[str, str]:
        return {"key": self.key, "upload_id": self.upload_id}


class UploadTracker(Protocol):
    """Told of every multipart upload a store begins and of its end (completed or
    aborted), so that an upload a dead process left can be aborted later."""

    def started(self, upload: PendingUpload) -> None: ...
    def ended(self, upload: PendingUpload) -> None: ...


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...
    def complete(self) -> None: ...
    def abort(self) -> None: ...


class BackupStore(Protocol):
    def writer(self, key: str, tracker: UploadTracker | None = None) -> Writer: ...
    def read(self, key: str) -> Iterator[bytes]: ...
    def put_json(self, key: str, data: dict) -> None: ...
    def get_json(self, key: str) -> dict: ...
    def copy(
        self, source: str, target: str, size: int, tracker: UploadTracker | None = None
    ) -> None: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str) -> list[StoredObject]: ...
    def abort_upload(self, upload: PendingUpload) -> None: ...
    def pending_uploads(self, prefix: str) -> list[str]: ...
