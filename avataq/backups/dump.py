"""Taking a backup: ``pg_dump --format=custom`` streamed into the store, read back, then
given its manifest and final key.

A backup is a pipe: pg_dump → SHA-256 and size → a multipart upload in parts of
``BACKUP_PART_SIZE`` (memory stays at one part whatever the database's size; no
temporary file). The dump is uploaded to an ``incoming/`` key and becomes a backup — its
final key and a manifest beside it — only when pg_dump exited 0 and
``pg_restore --list`` reads it back. The manifest is written before the dump is copied to
its final key, and removed after it: whichever step fails, a dump under its final key
always has its manifest.

Only one backup runs at a time: a PostgreSQL advisory lock held by the backup's own
connection, released by the server even if the process dies. The record keeps that
connection's process id, so a run whose lock is gone is known dead (see
:mod:`~avataq.backups.sweep`). Row counts are taken in the very snapshot pg_dump dumps
(``--snapshot``), so a restore can be checked exactly.

When a dependency fails, the first failure is what the record keeps and ops read; the
cleanup's own failures are logged and listed after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.db import DatabaseError
from django.utils import timezone

from avataq.backups.attempt import Attempt
from avataq.backups.errors import BackupError, BackupSkipped
from avataq.backups.layout import MANIFEST_SUFFIX, backup_keys, backup_store
from avataq.backups.notify import notify_ops
from avataq.backups.postgres import (
    BackupLock,
    counts_in,
    database_name,
    holding,
    libpq_environment,
    major_version,
    pg_tool,
    pipe_into,
)
from avataq.backups.store import READ_SIZE, BackupStore, Writer
from avataq.backups.sweep import backups_fail_dead_runs
from avataq.models import BackupRecord

logger = logging.getLogger(__name__)

# A scheduled backup whose worker died comes back from the broker; it runs twice at most.
TASK_ATTEMPTS = 2


@dataclass
class DumpResult:
    size: int
    sha256: str


def _stream_dump(
    command: list[str], env: dict[str, str], writer: Writer, chunk_filter: Callable | None
) -> DumpResult:
    digest, size = hashlib.sha256(), 0
    # S603: pg_dump's path comes from pg_tool (fixed places), never from user input.
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
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
    with holding(BackupLock.BACKUP, refusal) as lock:
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
            trigger=trigger,
            database=database,
            key=final_key,
            encrypted=encryption.enabled(),
            task_id=task_id,
            lock_pid=lock.info.backend_pid,
        )
        attempt = Attempt(record)
        try:
            return _backup(attempt, lock, store, final_key, incoming_key, started)
        except BaseException as exc:
            _record_failure(attempt, exc, started)
            raise


def _record_failure(attempt: Attempt, exc: BaseException, started: dt.datetime) -> None:
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
    notify_ops(
        "database backup FAILED",
        f"The backup of {record.database} started at {started:%Y-%m-%d %H:%M %Z} failed:"
        f"\n\n{error}",
    )


def _backup(
    attempt: Attempt,
    conn: psycopg.Connection,
    store: BackupStore,
    final_key: str,
    incoming_key: str,
    started: dt.datetime,
) -> BackupRecord:
    from avataq import encryption

    record = attempt.record
    server_version = conn.execute("SHOW server_version").fetchone()[0]
    server_major = major_version(conn)
    pg_dump = pg_tool("pg_dump", server_major)
    pg_restore = pg_tool("pg_restore", server_major)
    # One snapshot for the counts and the dump: the manifest describes exactly the dump.
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    counts = counts_in(conn)
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
        listing = pipe_into(
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
            "pg_dump_version": subprocess.run(  # noqa: S603 (pg_tool's path)
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
        for upload in attempt.pending():  # a copy's
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
        status=BackupRecord.Status.SUCCEEDED,
        size=dumped.size,
        sha256=dumped.sha256,
        finished_at=finished,
        error="",
    )
    record.refresh_from_db()
    logger.info(
        "backup %s: %s bytes in %.1f s", final_key, dumped.size, manifest["duration_seconds"]
    )
    return record
