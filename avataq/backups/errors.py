"""What a backup operation raises when it cannot be done: one class per kind of failure,
each mapped to an exit status by :mod:`avataq.backups.commands`."""

from __future__ import annotations

from avataq.errors import AvataqError


class BackupError(AvataqError):
    """A backup or restore that cannot be done; the message says why. The operation ran
    and failed, or found a problem (commands exit 1)."""

    code = "backup"


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
