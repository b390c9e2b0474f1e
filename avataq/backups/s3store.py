"""Backups in an S3 bucket: a streaming multipart writer and the store's other calls.

The multipart upload and the multipart copy are written by hand rather than left to
boto3's managed transfer (``upload_fileobj``, ``copy``): the managed transfer keeps its
upload id to itself, and a backup must record every upload it opens (its
:class:`~avataq.backups.store.UploadTracker`) so that the sweep can abort the parts a
killed process left, which are stored and billed though no object shows. The writer is
also pushed to (one part in memory whatever the dump's size), where ``upload_fileobj``
pulls from a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from avataq.backups.s3client import s3_abort, s3_errors
from avataq.backups.store import READ_SIZE, PendingUpload, StoredObject, UploadTracker, Writer

PART_SIZE = 64 * 1024 * 1024  # S3 allows 10,000 parts: 64 MiB parts reach 640 GiB
SINGLE_COPY_LIMIT = 5 * 1024**3  # CopyObject's limit; above it, a multipart copy
COPY_PART_SIZE = 512 * 1024 * 1024


class S3MultipartWriter:
    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        part_size: int = PART_SIZE,
        tracker: UploadTracker | None = None,
    ) -> None:
        self.client, self.bucket, self.key, self.part_size = client, bucket, key, part_size
        self.tracker = tracker
        with s3_errors(f"begin the upload of {key}"):
            upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.upload = PendingUpload(key, upload_id)
        if tracker:
            tracker.started(self.upload)
        self.parts: list[dict] = []
        self.buffer = bytearray()

    def _send(self, data: bytearray) -> None:
        number = len(self.parts) + 1
        with s3_errors(f"upload part {number} of {self.key}"):
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload.upload_id,
                PartNumber=number,
                Body=data,
            )
        self.parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def write(self, data: bytes) -> None:
        # The buffer itself is sent once full (a part may pass the size by one chunk),
        # so a part is held in memory once, never copied.
        self.buffer += data
        if len(self.buffer) >= self.part_size:
            part, self.buffer = self.buffer, bytearray()
            self._send(part)

    def complete(self) -> None:
        if self.buffer or not self.parts:
            part, self.buffer = self.buffer, bytearray()
            self._send(part)
        with s3_errors(f"complete the upload of {self.key}"):
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload.upload_id,
                MultipartUpload={"Parts": self.parts},
            )
        if self.tracker:
            self.tracker.ended(self.upload)

    def abort(self) -> None:
        """Raises BackupDependencyError when S3 cannot be reached: the upload is then
        still pending, and its tracker still lists it."""
        self.buffer.clear()
        s3_abort(self.client, self.bucket, self.upload)
        if self.tracker:
            self.tracker.ended(self.upload)


class S3BackupStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def writer(self, key: str, tracker: UploadTracker | None = None) -> Writer:
        return S3MultipartWriter(
            self.client, self.bucket, key, settings.BACKUP_PART_SIZE, tracker=tracker
        )

    def read(self, key: str) -> Iterator[bytes]:
        with s3_errors(f"read {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                yield from body.iter_chunks(READ_SIZE)
            finally:
                body.close()

    def put_json(self, key: str, data: dict) -> None:
        with s3_errors(f"write {key}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(data, indent=2).encode(),
                ContentType="application/json",
            )

    def get_json(self, key: str) -> dict:
        with s3_errors(f"read {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return json.loads(body)

    def copy(
        self, source: str, target: str, size: int, tracker: UploadTracker | None = None
    ) -> None:
        action = f"copy {source} to {target}"
        if size <= SINGLE_COPY_LIMIT:
            # One request: the target appears whole or not at all.
            with s3_errors(action):
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=target,
                    CopySource={"Bucket": self.bucket, "Key": source},
                )
            return
        # Above CopyObject's limit, a multipart copy whose upload id the tracker records
        # (see the module's docstring: the managed ``copy`` would not say it).
        with s3_errors(f"begin the upload of {target}"):
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=target)[
                "UploadId"
            ]
        upload = PendingUpload(target, upload_id)
        if tracker:
            tracker.started(upload)
        part_size = max(COPY_PART_SIZE, -(-size // 10_000))
        parts = []
        with s3_errors(action):
            for number, start in enumerate(range(0, size, part_size), start=1):
                end = min(start + part_size, size) - 1
                response = self.client.upload_part_copy(
                    Bucket=self.bucket,
                    Key=target,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    CopySourceRange=f"bytes={start}-{end}",
                )
                parts.append({"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=target,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        if tracker:
            tracker.ended(upload)

    def delete(self, key: str) -> None:
        with s3_errors(f"delete {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str) -> list[StoredObject]:
        with s3_errors(f"list {prefix}"):
            paginator = self.client.get_paginator("list_objects_v2")
            return [
                StoredObject(item["Key"], item["Size"])
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])
            ]

    def abort_upload(self, upload: PendingUpload) -> None:
        s3_abort(self.client, self.bucket, upload)

    def pending_uploads(self, prefix: str) -> list[str]:
        with s3_errors(f"list the pending uploads under {prefix}"):
            response = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [upload["Key"] for upload in response.get("Uploads", [])]
