"""Database backups: ``pg_dump --format=custom`` streamed straight into S3 (or, in the
embedded default, into ``.data/backups``), verified, listed, pruned and restored.

One module per concern; this package re-exports what the tasks, the health check and
the operator commands use:

- :mod:`~avataq.backups.errors`: what an operation raises (each kind its exit status);
- :mod:`~avataq.backups.store`: what a backup store is; :mod:`~avataq.backups.s3store`
  and :mod:`~avataq.backups.localstore` the two there are; :mod:`~avataq.backups.s3client`
  the backups' S3 client and how its failures read; :mod:`~avataq.backups.layout` which
  store, and the keys in it;
- :mod:`~avataq.backups.postgres`: connections, advisory locks, pg tools, row counts;
- :mod:`~avataq.backups.dump`: taking a backup (:mod:`~avataq.backups.attempt`: one
  run's open uploads and cleanup);
- :mod:`~avataq.backups.sweep`: runs that died, uploads left open;
- :mod:`~avataq.backups.catalog`: listing, freshness, pruning;
- :mod:`~avataq.backups.restore` and :mod:`~avataq.backups.verify`;
- :mod:`~avataq.backups.commands`: the operator commands' base and exit statuses;
- :mod:`~avataq.backups.notify`: emailing ops.

Every S3 call has connect and read timeouts and a bounded number of attempts, so a
hanging S3 fails a backup in minutes.
"""

from avataq.backups.catalog import (
    PruneReport,
    StoredBackup,
    backup_age,
    backup_is_stale,
    backups_alert_if_stale,
    backups_prune,
    newest_successful_backup,
    stored_backups,
)
from avataq.backups.commands import (
    EXIT_FAILED,
    EXIT_SKIPPED,
    EXIT_STATUS_HELP,
    EXIT_UNAVAILABLE,
    BackupCommand,
    exit_status,
)
from avataq.backups.dump import TASK_ATTEMPTS, backup_database
from avataq.backups.errors import (
    BackupCorrupt,
    BackupDependencyError,
    BackupError,
    BackupInProgress,
    BackupNotFound,
    BackupSkipped,
    BackupUsageError,
    one_line,
)
from avataq.backups.layout import (
    KEY_STAMP,
    MANIFEST_SUFFIX,
    backup_bucket,
    backup_keys,
    backup_store,
)
from avataq.backups.postgres import (
    LOCK_KEY,
    BackupLock,
    conninfo,
    database_exists,
    database_name,
    libpq_environment,
    pg_tool,
    table_counts,
)
from avataq.backups.restore import RestoreResult, resolve_key, restore_database
from avataq.backups.s3client import s3_client, s3_failure
from avataq.backups.store import BackupStore, PendingUpload, StoredObject
from avataq.backups.sweep import (
    BACKUP_TIME_LIMIT,
    DEAD_AFTER,
    SweepReport,
    backups_abort_leftover_uploads,
    backups_fail_dead_runs,
    backups_sweep,
)
from avataq.backups.verify import VerifyResult, verify_backup

__all__ = [
    "BACKUP_TIME_LIMIT",
    "DEAD_AFTER",
    "EXIT_FAILED",
    "EXIT_SKIPPED",
    "EXIT_STATUS_HELP",
    "EXIT_UNAVAILABLE",
    "KEY_STAMP",
    "LOCK_KEY",
    "MANIFEST_SUFFIX",
    "TASK_ATTEMPTS",
    "BackupCommand",
    "BackupCorrupt",
    "BackupDependencyError",
    "BackupError",
    "BackupInProgress",
    "BackupLock",
    "BackupNotFound",
    "BackupSkipped",
    "BackupStore",
    "BackupUsageError",
    "PendingUpload",
    "PruneReport",
    "RestoreResult",
    "StoredBackup",
    "StoredObject",
    "SweepReport",
    "VerifyResult",
    "backup_age",
    "backup_bucket",
    "backup_database",
    "backup_is_stale",
    "backup_keys",
    "backup_store",
    "backups_abort_leftover_uploads",
    "backups_alert_if_stale",
    "backups_fail_dead_runs",
    "backups_prune",
    "backups_sweep",
    "conninfo",
    "database_exists",
    "database_name",
    "exit_status",
    "libpq_environment",
    "newest_successful_backup",
    "one_line",
    "pg_tool",
    "resolve_key",
    "restore_database",
    "s3_client",
    "s3_failure",
    "stored_backups",
    "table_counts",
    "verify_backup",
]
