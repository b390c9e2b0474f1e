"""Where a backup lives: the store (the S3 bucket when one is configured, else
``.data/backups``) and its keys in it.

A backup is ``backups/<database>/<YYYY>/<MM>/<timestamp>.dump`` with its manifest beside
it (``….dump.manifest.json``); a dump being taken is uploaded under
``backups/<database>/incoming/`` and is never taken for a backup.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings

from avataq.backups.localstore import LocalBackupStore
from avataq.backups.s3client import s3_client
from avataq.backups.s3store import S3BackupStore
from avataq.backups.store import BackupStore

MANIFEST_SUFFIX = ".manifest.json"
KEY_STAMP = "%Y%m%dT%H%M%SZ"
_STAMP = re.compile(r"/(\d{8}T\d{6}Z)\.dump(?:\.manifest\.json)?$")


def backup_bucket() -> str | None:
    """The bucket backups go to: ``BACKUP_BUCKET``, else the documents' bucket; None in
    the embedded default."""
    return settings.BACKUP_BUCKET or settings.AWS_STORAGE_BUCKET_NAME or None


def backup_store() -> BackupStore:
    if bucket := backup_bucket():
        return S3BackupStore(s3_client(), bucket)
    return LocalBackupStore(settings.DATA_DIR / "backups")


def backup_keys(database: str, when: dt.datetime) -> tuple[str, str]:
    """(final key, incoming key) of a backup of ``database`` started at ``when``."""
    stamp = when.astimezone(dt.UTC).strftime(KEY_STAMP)
    return (
        f"backups/{database}/{when:%Y}/{when:%m}/{stamp}.dump",
        f"backups/{database}/incoming/{stamp}.dump",
    )


def stamp_of(key: str) -> dt.datetime | None:
    """When the backup (or manifest) at ``key`` was taken; None for a key of no backup."""
    match = _STAMP.search(key)
    return dt.datetime.strptime(match[1], KEY_STAMP).replace(tzinfo=dt.UTC) if match else None
