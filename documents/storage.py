"""Where documents live: a private S3 bucket in full mode, ``.data/media`` in the embedded
default. Both answer the same questions (download URL, exact save, archive, listing) so
the services never ask which one they have."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from documents import keys

LOCAL_DOWNLOAD_SALT = "documents.local-download"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


@dataclass(frozen=True)
class PriorVersion:
    """How the content a replacement overwrote can still be had."""

    version_id: str = ""
    archive_key: str = ""


def _bounded_transfer_config() -> TransferConfig:
    """Multipart above 8 MiB with four 8 MiB parts in flight and in memory at most:
    an upload's memory stays bounded (about 40 MB) whatever the file's size. (boto3's
    default buffers ten parts; django-storages hands boto3 a read-only wrapper, so
    parts are read into memory rather than from the file.)"""
    config = TransferConfig(
        multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4
    )
    config.max_in_memory_upload_chunks = 4
    return config


class S3DocumentStorage(S3Storage):
    """Private bucket, SigV4, explicit region, no silent overwrite, SSE when asked."""

    def __init__(self, *, server_side_encryption: str = "", **options: Any) -> None:
        options.setdefault("default_acl", None)  # private: the bucket policy decides
        options.setdefault("file_overwrite", False)
        options.setdefault("querystring_auth", True)
        options.setdefault("querystring_expire", settings.DOCUMENT_URL_TTL)
        options.setdefault(
            "client_config",
            Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if options.get("endpoint_url") else "auto"},
                # Recent botocore adds CRC checksums to every request by default, which
                # S3-compatible servers (MinIO versions, s3rver…) reject or mishandle.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )
        options.setdefault("transfer_config", _bounded_transfer_config())
        if server_side_encryption:
            options.setdefault("object_parameters", {})
            options["object_parameters"] = {
                **options["object_parameters"],
                "ServerSideEncryption": server_side_encryption,
            }
        super().__init__(**options)
        self._versioned: bool | None = None

    @property
    def client(self):
        # One client per storage instance and thread; the instance lives for the process.
        return self.connection.meta.client

    def download_url(self, key: str, *, filename: str, content_type: str, ttl: int) -> str:
        return self.url(
            key,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            expire=ttl,
        )

    def save_exact(self, key: str, content: IO[bytes]) -> str:
        """Write ``content`` at exactly ``key`` (the caller has made the key free, or has
        archived what it holds)."""
        return self._save(key, content)

    @property
    def versioned(self) -> bool:
        if self._versioned is None:
            try:
                status = self.client.get_bucket_versioning(Bucket=self.bucket_name).get("Status")
            except ClientError:
                status = None  # servers without versioning say so with an error
            self._versioned = status == "Enabled"
        return self._versioned

    def keep_prior_version(self, key: str, stamp: str) -> PriorVersion:
        if self.versioned:
            head = self.client.head_object(Bucket=self.bucket_name, Key=key)
            return PriorVersion(version_id=head.get("VersionId", ""))
        target = keys.archive_key(key, stamp)
        extra = dict(self.object_parameters)
        self.client.copy_object(
            Bucket=self.bucket_name,
            Key=target,
            CopySource={"Bucket": self.bucket_name, "Key": key},
            **{k: v for k, v in extra.items() if k == "ServerSideEncryption"},
        )
        return PriorVersion(archive_key=target)

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = self.client.head_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return StoredObject(key=key, size=head["ContentLength"])

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            for item in page.get("Contents", []):
                yield StoredObject(key=item["Key"], size=item["Size"])


class LocalDocumentStorage(FileSystemStorage):
    """Files under ``.data/media``; downloads through short-lived Django-signed URLs that a
    streaming view serves (see ``documents.views.local_download``)."""

    def download_url(self, key: str, *, filename: str, content_type: str, ttl: int) -> str:
        token = signing.dumps(
            {"k": key, "f": filename, "t": content_type, "ttl": ttl}, salt=LOCAL_DOWNLOAD_SALT
        )
        return reverse("documents:local-download", args=[token])

    def save_exact(self, key: str, content: IO[bytes]) -> str:
        if self.exists(key):
            self.delete(key)
        return self._save(key, content)

    versioned = False

    def keep_prior_version(self, key: str, stamp: str) -> PriorVersion:
        target = keys.archive_key(key, stamp)
        destination = Path(self.path(target))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(key), destination)
        return PriorVersion(archive_key=target)

    def stat(self, key: str) -> StoredObject | None:
        try:
            return StoredObject(key=key, size=os.path.getsize(self.path(key)))
        except OSError:
            return None

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        root = Path(self.location)
        start = root / prefix if prefix and (root / prefix).is_dir() else root
        for path in sorted(start.rglob("*")):
            key = path.relative_to(root).as_posix()
            if path.is_file() and key.startswith(prefix):
                yield StoredObject(key=key, size=path.stat().st_size)


def unsign_local_download(token: str) -> dict[str, Any]:
    """The key, filename and type a local download token names, if it is genuine and
    younger than the TTL it was minted with; raises ``signing.BadSignature`` otherwise."""
    payload = signing.loads(token, salt=LOCAL_DOWNLOAD_SALT)
    signing.loads(token, salt=LOCAL_DOWNLOAD_SALT, max_age=dt.timedelta(seconds=payload["ttl"]))
    return payload


class _DocumentStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["documents"]


document_storage_proxy = _DocumentStorage()


def document_storage() -> _DocumentStorage:
    """The documents storage (a callable, so model fields and migrations do not pin it)."""
    return document_storage_proxy


@receiver(setting_changed)
def _reset_document_storage(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        document_storage_proxy._wrapped = empty
