"""Backups in a local folder, the embedded default (``.data/backups``): the same keys as
in the bucket, a file written under ``.partial`` and renamed when complete."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

from avataq.backups.errors import BackupNotFound, BackupUsageError
from avataq.backups.store import READ_SIZE, PendingUpload, StoredObject, UploadTracker, Writer


class LocalWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.partial.open("wb")

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def complete(self) -> None:
        self.file.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)


class LocalBackupStore:
    """The embedded default: the same layout under ``.data/backups``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise BackupUsageError(f"key {key!r} leaves the backup folder")
        return path

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise BackupNotFound(f"there is no {key} in {self.root}")
        return path

    def writer(self, key: str, tracker: UploadTracker | None = None) -> Writer:
        return LocalWriter(self._path(key))

    def read(self, key: str) -> Iterator[bytes]:
        with self._existing(key).open("rb") as file:
            while chunk := file.read(READ_SIZE):
                yield chunk

    def put_json(self, key: str, data: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))

    def get_json(self, key: str) -> dict:
        return json.loads(self._existing(key).read_text())

    def copy(
        self, source: str, target: str, size: int, tracker: UploadTracker | None = None
    ) -> None:
        path = self._path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        shutil.copyfile(self._existing(source), partial)
        partial.replace(path)  # whole or not at all, like S3's

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[StoredObject]:
        if not self.root.exists():
            return []
        return [
            StoredObject(path.relative_to(self.root).as_posix(), path.stat().st_size)
            for path in sorted(self.root.rglob("*"))
            if path.is_file()
            and not path.name.endswith(".partial")
            and path.relative_to(self.root).as_posix().startswith(prefix)
        ]

    def abort_upload(self, upload: PendingUpload) -> None:
        self._path(upload.key).with_name(Path(upload.key).name + ".partial").unlink(missing_ok=True)

    def pending_uploads(self, prefix: str) -> list[str]:
        return [
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*.partial")
            if path.relative_to(self.root).as_posix().startswith(prefix)
        ]
