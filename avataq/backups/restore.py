"""Restoring a backup into a database: the dump checked against its manifest (size,
SHA-256, and decryption with this ``BACKUP_ENCRYPTION_KEY``) before anything is touched,
then streamed into pg_restore. A restore replaces what its target holds, so it is never
done by surprise: the live database, or any other that holds tables, only when asked."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections

from avataq.backups.catalog import stored_backups
from avataq.backups.errors import BackupCorrupt, BackupError, BackupNotFound, BackupUsageError
from avataq.backups.layout import MANIFEST_SUFFIX, backup_store
from avataq.backups.postgres import (
    connect,
    create_database,
    database_exists,
    database_name,
    libpq_environment,
    major_version,
    pg_tool,
    pipe_into,
    user_tables,
)
from avataq.backups.store import BackupStore


def resolve_key(*, key: str | None, latest: bool) -> str:
    """The key asked for, or the newest complete backup's with ``latest``."""
    if bool(key) == bool(latest):
        raise BackupUsageError("give either a key or --latest")
    if key:
        return key
    complete = [b for b in stored_backups() if b.complete]
    if not complete:
        raise BackupNotFound("there is no complete backup to restore")
    return complete[-1].key


def check_integrity(store: BackupStore, key: str) -> dict:
    """The dump's SHA-256 and size against its manifest, and, for an encrypted one,
    every frame decrypted with this BACKUP_ENCRYPTION_KEY: one streaming pass, before
    anything is touched. Returns the manifest."""
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


@dataclass
class RestoreResult:
    key: str
    target: str
    manifest: dict
    seconds: float


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
    manifest = check_integrity(store, key)
    if not database_exists(target):
        create_database(target)
    elif target != database_name() and not replace_existing and user_tables(target):
        raise BackupUsageError(
            f"{target} already holds tables; restoring would replace them. Restore into a "
            "new database, or give --replace-existing-database to do it anyway."
        )
    with connect(target) as conn:
        major = major_version(conn)
    command = [
        pg_tool("pg_restore", major),
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        "--exit-on-error",
        f"--dbname={target}",
        "--no-password",
    ]
    if target == database_name():
        connections.close_all()
    try:
        result = pipe_into(
            command, encryption.decrypting(store.read(key)), libpq_environment(target)
        )
    except encryption.DecryptionError as exc:
        raise BackupError(f"{key} could not be decrypted while restoring: {exc}") from exc
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore into {target} failed: "
            + result.stderr.decode(errors="replace").strip()[-2000:]
        )
    with connect(target) as conn:
        record_as_taken(conn, manifest)
    return RestoreResult(key, target, manifest, time.monotonic() - started)


def record_as_taken(conn, manifest: dict) -> None:
    """The restored copy was dumped while its own backup ran: its row for that backup says
    "running" (and would soon be called failed, and ops emailed, by the hourly check).
    The manifest says how the backup ended; the row is brought up to it."""
    if conn.execute("SELECT to_regclass('avataq_backuprecord')").fetchone()[0] is None:
        return
    conn.execute(
        "UPDATE avataq_backuprecord SET status = 'succeeded', size = %s, sha256 = %s, "
        "finished_at = %s, error = '', lock_pid = NULL, pending_uploads = '[]' "
        "WHERE key = %s AND status = 'running'",
        [manifest["size"], manifest["sha256"], manifest["finished_at"], manifest["key"]],
    )
