"""Uploads stream to a temporary file as they arrive, hashed and measured on the way, so a
200 MB file is never held in memory and its SHA-256 is known without a second read. Past
the size limit the rest is counted but not written, so an oversized upload fills no disk
and is refused with its real size."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class HashedUploadedFile(TemporaryUploadedFile):
    sha256: str = ""
    oversize: bool = False


class HashingUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file = HashedUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        self.hash = hashlib.sha256()
        self.received = 0
        self.limit = settings.DOCUMENT_MAX_UPLOAD_SIZE

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= self.limit:
            self.hash.update(raw_data)
            self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> HashedUploadedFile:
        self.file.seek(0)
        self.file.size = self.received
        self.file.oversize = self.received > self.limit
        self.file.sha256 = "" if self.file.oversize else self.hash.hexdigest()
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
