"""The operator commands' error boundary: a failure is one line on stderr naming the
problem, and an exit status a script can act on (listed in each command's --help)."""

from __future__ import annotations

from typing import Any

import psycopg
from django.core.management.base import CommandParser
from django.db import InterfaceError, OperationalError

from avataq.backups.errors import (
    BackupDependencyError,
    BackupError,
    BackupSkipped,
    BackupUsageError,
    one_line,
)
from avataq.commands import AvataqCommand

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


class BackupCommand(AvataqCommand):
    """The backup commands' base: their errors become one line and an exit status."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EXIT_STATUS_HELP
        return parser

    def exit_status(self, exc: BaseException) -> int:
        return exit_status(exc)

    def error_line(self, exc: BaseException) -> str:
        return one_line(str(exc) if isinstance(exc, BackupError) else f"PostgreSQL: {exc}")
