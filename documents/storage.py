"""Where documents live: a private S3 bucket in full mode, ``.data/media`` in the embedded
default. Both answer the same questions (download URL, exact write, copy, archive,
listing, what content a key holds) so the services never ask which one they have.

S3 is a network dependency that can refuse, hang, or do the work and lose its answer.
Every call has a deadline well under the web worker's (gunicorn kills a request at 60 s):
3 s to connect, 10 s to wait for an answer, two retries; the small calls on a request's
path (HEAD, DELETE, abort) go through a second client that waits 5 s and retries once, so
a hung S3 turns a click into the 503 page within about ten seconds. A call the storage
does not answer raises :class:`StorageUnavailable` (the project's
``DependencyUnavailable("storage")``), never a botocore error.

Every object written here carries the MD5 and SHA-256 of its content as metadata. S3
computes the ETag of an object written in one request (or copied) from the bytes it
stored: when the ETag equals the MD5 we sent, the content is the one we hashed, and
``verify_documents`` needs no download to prove it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import mimetypes
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from avataq import s3
from avataq.errors import DependencyUnavailable
from documents import keys

log = logging.getLogger(__name__)

LOCAL_DOWNLOAD_SALT = "documents.local-download"
# Above this an object goes up in parts of this size, one part in memory at a time.
PART_SIZE = 8 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
# A server error that says "not now" rather than "no" (501 NotImplemented is a "no").
_OUTAGE_STATUS = frozenset({500, 502, 503, 504})
_OUTAGE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


class StorageUnavailable(DependencyUnavailable):
    """The document storage did not answer in time: refused, hung past its deadline,
    closed the connection, or failed on its side (5xx). The user reads the default
    message (nothing was kept, retry in a minute); ``detail`` names the call and the
    cause, for the log and for operators."""

    def __init__(self, detail: str) -> None:
        super().__init__("storage")
        self.detail = detail


def _is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the storage did not answer (as opposed to answering "no")."""
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status in _OUTAGE_STATUS or exc.response.get("Error", {}).get("Code") in (
            _OUTAGE_CODES
        )
    return False


@contextmanager
def _answering(call: str, key: str = "") -> Iterator[None]:
    """Turn the storage's silence (not its refusals) into :class:`StorageUnavailable`."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        if _is_outage(exc):
            raise StorageUnavailable(f"{call} {key}: {type(exc).__name__}: {exc}") from exc
        raise


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: dt.datetime | None = None
    # The SHA-256 of the content when the storage proves it (see proven_sha256), else "".
    sha256: str = ""


@dataclass(frozen=True)
class PriorVersion:
    """How the content a replacement overwrote can still be had."""

    version_id: str = ""
    archive_key: str = ""


@dataclass(frozen=True)
class Digests:
    size: int
    md5: str
    sha256: str


def digests_of(content: IO[bytes]) -> Digests:
    """Size, MD5 and SHA-256 of ``content``, read once from its start (left at its start)."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    content.seek(0)
    while chunk := content.read(_READ_CHUNK):
        md5.update(chunk)
        sha256.update(chunk)
        size += len(chunk)
    content.seek(0)
    return Digests(size=size, md5=md5.hexdigest(), sha256=sha256.hexdigest())


def _content_md5(data: bytes) -> str:
    """The Content-MD5 header: S3 refuses a body that does not match it."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _bounded_transfer_config() -> TransferConfig:
    """For reads through ``open()`` (boto3's transfer manager): four 8 MiB parts in flight
    at most. Writes go through :meth:`S3DocumentStorage.put`, one part at a time."""
    config = TransferConfig(
        multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=4
    )
    config.max_in_memory_upload_chunks = 4
    return config


# Multipart uploads that could not be aborted while the storage was down: aborted once
# more when it answers again (the next successful write), then logged if that fails too.
_unaborted: list[tuple[str, str, str]] = []
_unaborted_lock = threading.Lock()
_UNABORTED_KEPT = 1000


class S3DocumentStorage(S3Storage):
    """Private bucket, SigV4, explicit region, no silent overwrite, SSE when asked,
    deadlines on every call (the project's S3 client configuration, :mod:`avataq.s3`,
    with the documents' short deadlines)."""

    def __init__(
        self,
        *,
        server_side_encryption: str = "",
        connect_timeout: float = 3,
        read_timeout: float = 10,
        max_attempts: int = 2,
        quick_timeout: float = 5,
        **options: Any,
    ) -> None:
        options.setdefault("default_acl", None)  # private: the bucket policy decides
        options.setdefault("file_overwrite", False)
        options.setdefault("querystring_auth", True)
        options.setdefault("querystring_expire", settings.DOCUMENT_URL_TTL)
        given_client_config = "client_config" in options
        options.setdefault("transfer_config", _bounded_transfer_config())
        if server_side_encryption:
            options.setdefault("object_parameters", {})
            options["object_parameters"] = {
                **options["object_parameters"],
                "ServerSideEncryption": server_side_encryption,
            }
        super().__init__(**options)
        if not given_client_config:
            # max_attempts counts the retries: three tries at most, the worst case
            # (3 × 10 s) still well inside the web worker's 60 s.
            self.client_config = s3.client_config(
                endpoint_url=self.endpoint_url,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                attempts=max_attempts + 1,
            )
        # The quick client: the same connection deadline, a shorter wait, two tries.
        self._quick_deadlines = {
            "connect_timeout": connect_timeout,
            "read_timeout": min(quick_timeout, read_timeout),
            "attempts": 2,
        }
        self._quick = threading.local()
        self._versioned: bool | None = None
        # One boto3 session for every client this storage makes, in every thread.
        # django-storages makes a session per thread, and a fresh session loads and parses
        # S3's service model again: 0.1-0.4 s of CPU for each client, paid by the first
        # download in each of gunicorn's threads (two clients: 0.25-0.75 s, the GIL held),
        # and again in every recycled worker (`make bench ARGS=load`: the portal's p95 at
        # 20 users went from 320 to 130-160 ms). From one session a client costs ~12 ms.
        # A session is not thread-safe: clients are made from it under the lock.
        self._session: boto3.session.Session | None = None
        self._session_lock = threading.Lock()

    def _create_session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = super()._create_session()
        return self._session

    @property
    def connection(self):
        connection = getattr(self._connections, "connection", None)
        if connection is None:
            # django-storages makes one boto3 resource per thread, here from the storage's
            # one session; its client's calls are measured (avataq.s3).
            with self._session_lock:
                connection = super().connection
            s3.measure(connection.meta.client)
        return connection

    @property
    def client(self):
        # One client per storage instance and thread; the instance lives for the process.
        return self.connection.meta.client

    @property
    def quick_client(self):
        """The client for HEAD, DELETE and abort: small calls that must fail fast."""
        client = getattr(self._quick, "client", None)
        if client is None:
            with self._session_lock:
                client = s3.client(
                    endpoint_url=self.endpoint_url,
                    region_name=self.region_name,
                    session=self._create_session(),
                    use_ssl=self.use_ssl,
                    verify=self.verify,
                    **self._quick_deadlines,
                )
            self._quick.client = client
        return client

    def _encryption(self) -> dict[str, str]:
        return {k: v for k, v in self.object_parameters.items() if k == "ServerSideEncryption"}

    def download_url(self, key: str, *, filename: str, content_type: str, ttl: int) -> str:
        return self.url(
            key,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            expire=ttl,
        )

    # --- writing -------------------------------------------------------------------------
    def put(self, key: str, content: IO[bytes]) -> Digests:
        """Write ``content`` at exactly ``key``, with its MD5 and SHA-256 as metadata; S3
        checks the MD5 on arrival. Above ``PART_SIZE`` it goes up in parts; a multipart
        upload that fails is aborted (no parts left billed and invisible)."""
        digests = digests_of(content)
        params = {
            **self.get_object_parameters(key),
            "ContentType": _content_type(key),
            "Metadata": {"md5": digests.md5, "sha256": digests.sha256},
        }
        with _answering("PUT", key):
            if digests.size <= PART_SIZE:
                body = content.read()
                self.client.put_object(
                    Bucket=self.bucket_name,
                    Key=key,
                    Body=body,
                    ContentMD5=_content_md5(body),
                    **params,
                )
            else:
                self._put_in_parts(key, content, params)
        self._retry_aborts()
        return digests

    def _put_in_parts(self, key: str, content: IO[bytes], params: dict[str, Any]) -> None:
        created = self.client.create_multipart_upload(Bucket=self.bucket_name, Key=key, **params)
        upload_id = created["UploadId"]
        try:
            parts = []
            while chunk := content.read(PART_SIZE):
                number = len(parts) + 1
                answer = self.client.upload_part(
                    Bucket=self.bucket_name,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk,
                    ContentMD5=_content_md5(chunk),
                )
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
            self.client.complete_multipart_upload(
                Bucket=self.bucket_name,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.quick_client.abort_multipart_upload(
                Bucket=self.bucket_name, Key=key, UploadId=upload_id
            )
        except (BotoCoreError, ClientError) as exc:
            if isinstance(exc, ClientError) and _code(exc) == "NoSuchUpload":
                return  # completed or aborted already
            log.warning(
                "could not abort multipart upload %s of %s (%s: %s); retrying once when "
                "the storage answers again",
                upload_id,
                key,
                type(exc).__name__,
                exc,
            )
            with _unaborted_lock:
                _unaborted.append((self.bucket_name, key, upload_id))
                del _unaborted[:-_UNABORTED_KEPT]

    def _retry_aborts(self) -> None:
        """The storage answers again: abort, once more, what it could not abort before."""
        with _unaborted_lock:
            mine = [entry for entry in _unaborted if entry[0] == self.bucket_name]
            _unaborted[:] = [entry for entry in _unaborted if entry[0] != self.bucket_name]
        for _, key, upload_id in mine:
            try:
                self.quick_client.abort_multipart_upload(
                    Bucket=self.bucket_name, Key=key, UploadId=upload_id
                )
            except (BotoCoreError, ClientError) as exc:
                if isinstance(exc, ClientError) and _code(exc) == "NoSuchUpload":
                    continue
                log.error(
                    "multipart upload %s of %s is left incomplete (%s: %s); the bucket's "
                    "AbortIncompleteMultipartUpload lifecycle rule removes it",
                    upload_id,
                    key,
                    type(exc).__name__,
                    exc,
                )

    def save_exact(self, key: str, content: IO[bytes]) -> str:
        """Write ``content`` at exactly ``key`` (the caller has made the key free, or has
        archived what it holds)."""
        self.put(key, content)
        return key

    def copy(self, source: str, target: str) -> None:
        """A server-side copy: content, type and digest metadata (S3 gives the copy an ETag
        computed from its bytes again)."""
        with _answering("COPY", f"{source} to {target}"):
            self.client.copy_object(
                Bucket=self.bucket_name,
                Key=target,
                CopySource={"Bucket": self.bucket_name, "Key": source},
                **self._encryption(),
            )

    def promote(self, pending: str, key: str) -> None:
        """Put what was written under ``pending`` at ``key``, then remove ``pending``."""
        self.copy(pending, key)
        self.delete_quietly(pending)

    def delete_quietly(self, key: str) -> bool:
        """Remove ``key`` (absent is fine). False, and a warning, when the storage does not
        answer: what is left over is reported by ``verify_documents``."""
        try:
            with _answering("DELETE", key):
                self.quick_client.delete_object(Bucket=self.bucket_name, Key=key)
        except (StorageUnavailable, BotoCoreError, ClientError) as exc:
            log.warning("could not remove %s from the document storage: %s", key, _why(exc))
            return False
        return True

    def delete_every_version(self, key: str) -> int:
        """Remove ``key`` for good: in a versioned bucket every version of it and every
        delete marker (a plain DELETE would only hide it behind a marker); how many
        objects or versions went. Raises :class:`StorageUnavailable` when S3 does not
        answer (the caller keeps its rows and tries again)."""
        if not self.versioned:
            with _answering("DELETE", key):
                self.client.delete_object(Bucket=self.bucket_name, Key=key)
            return 1
        removed = 0
        paginator = self.client.get_paginator("list_object_versions")
        with _answering("DELETE versions", key):
            for page in paginator.paginate(Bucket=self.bucket_name, Prefix=key):
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if item["Key"] != key:
                        continue  # a longer key that starts with this one
                    self.client.delete_object(
                        Bucket=self.bucket_name, Key=key, VersionId=item["VersionId"]
                    )
                    removed += 1
        return removed

    @property
    def versioned(self) -> bool:
        if self._versioned is None:
            try:
                with _answering("GET versioning", self.bucket_name):
                    reply = self.client.get_bucket_versioning(Bucket=self.bucket_name)
                status = reply.get("Status")
            except ClientError:
                status = None  # servers without versioning say so with an error
            self._versioned = status == "Enabled"
        return self._versioned

    def keep_prior_version(self, key: str, stamp: str) -> PriorVersion:
        if self.versioned:
            head = self._head(key, quick=False)
            return PriorVersion(version_id=(head or {}).get("VersionId", ""))
        target = keys.archive_key(key, stamp)
        self.copy(key, target)
        return PriorVersion(archive_key=target)

    # --- reading -------------------------------------------------------------------------
    def _head(self, key: str, *, quick: bool = True) -> dict[str, Any] | None:
        client = self.quick_client if quick else self.client
        try:
            with _answering("HEAD", key):
                return client.head_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise

    def stat(self, key: str) -> StoredObject | None:
        head = self._head(key)
        if head is None:
            return None
        # S3 computes the ETag of an object written in one request, or copied, from the
        # bytes it stored (their MD5): when it equals the MD5 we wrote next to our SHA-256
        # of the same bytes, that SHA-256 is the content's. Nothing is proved for an
        # object uploaded in parts, encrypted with KMS, or written outside the app.
        metadata = head.get("Metadata", {})
        etag = head.get("ETag", "").strip('"')
        proven = metadata.get("md5") and etag == metadata["md5"]
        return StoredObject(
            key=key,
            size=head["ContentLength"],
            modified=head.get("LastModified"),
            sha256=metadata.get("sha256", "") if proven else "",
        )

    def proven_sha256(self, key: str) -> str | None:
        """The SHA-256 of what ``key`` holds when the storage proves it (a HEAD, no
        download); None when it does not (re-hash it with :meth:`sha256_of`) or when the
        key holds nothing."""
        held = self.stat(key)
        return held.sha256 if held and held.sha256 else None

    def sha256_of(self, key: str) -> str:
        """The SHA-256 of what ``key`` holds, downloaded and hashed."""
        digest = hashlib.sha256()
        with _answering("GET", key):
            body = self.client.get_object(Bucket=self.bucket_name, Key=key)["Body"]
            for chunk in body.iter_chunks(_READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _answering("LIST", prefix):
            for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(
                        key=item["Key"], size=item["Size"], modified=item.get("LastModified")
                    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _why(exc: BaseException) -> str:
    return exc.detail if isinstance(exc, StorageUnavailable) else f"{type(exc).__name__}: {exc}"


class LocalDocumentStorage(FileSystemStorage):
    """Files under ``.data/media``; downloads through short-lived Django-signed URLs that a
    streaming view serves (see ``documents.views.local_download``)."""

    def download_url(self, key: str, *, filename: str, content_type: str, ttl: int) -> str:
        token = signing.dumps(
            {"k": key, "f": filename, "t": content_type, "ttl": ttl}, salt=LOCAL_DOWNLOAD_SALT
        )
        return reverse("documents:local-download", args=[token])

    def put(self, key: str, content: IO[bytes]) -> Digests:
        digests = digests_of(content)
        self.save_exact(key, content)
        return digests

    def save_exact(self, key: str, content: IO[bytes]) -> str:
        if self.exists(key):
            self.delete(key)
        return self._save(key, content)

    def copy(self, source: str, target: str) -> None:
        destination = Path(self.path(target))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(source), destination)

    def promote(self, pending: str, key: str) -> None:
        destination = Path(self.path(key))
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(pending), destination)
        self._prune(Path(self.path(pending)).parent)

    def delete_quietly(self, key: str) -> bool:
        try:
            self.delete(key)
        except OSError as exc:
            log.warning("could not remove %s from the document storage: %s", key, exc)
            return False
        self._prune(Path(self.path(key)).parent)
        return True

    def _prune(self, folder: Path) -> None:
        """Remove the folders a removed file leaves empty, up to (not including) the root."""
        root = Path(self.location).resolve()
        folder = folder.resolve()
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty
            folder = folder.parent

    versioned = False

    def delete_every_version(self, key: str) -> int:
        """A local file has one version: removed."""
        if not self.exists(key):
            return 0
        self.delete(key)
        self._prune(Path(self.path(key)).parent)
        return 1

    def keep_prior_version(self, key: str, stamp: str) -> PriorVersion:
        target = keys.archive_key(key, stamp)
        self.copy(key, target)
        return PriorVersion(archive_key=target)

    def stat(self, key: str) -> StoredObject | None:
        try:
            status = os.stat(self.path(key))
        except OSError:
            return None
        return StoredObject(key=key, size=status.st_size, modified=_mtime(status.st_mtime))

    def proven_sha256(self, key: str) -> str | None:
        """A local file proves itself: hashing it is a local read."""
        return self.sha256_of(key) if self.stat(key) else None

    def sha256_of(self, key: str) -> str:
        digest = hashlib.sha256()
        with open(self.path(key), "rb") as stored:
            while chunk := stored.read(_READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        root = Path(self.location)
        start = root / prefix if prefix and (root / prefix).is_dir() else root
        for path in sorted(start.rglob("*")):
            key = path.relative_to(root).as_posix()
            if path.is_file() and key.startswith(prefix):
                status = path.stat()
                yield StoredObject(key=key, size=status.st_size, modified=_mtime(status.st_mtime))


def _mtime(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


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
