"""Celery tasks: thin, idempotent wrappers over avataq.backups; they own their retries."""

from celery import shared_task

BACKUP_TIME_LIMIT = 4 * 60 * 60


@shared_task(time_limit=BACKUP_TIME_LIMIT, soft_time_limit=BACKUP_TIME_LIMIT - 300)
def backup_database_task(trigger: str = "beat") -> dict:
    """A second one while a backup runs (two beats, a redelivery) exits saying why."""
    from avataq.backups import BackupInProgress, backup_database

    try:
        record = backup_database(trigger=trigger)
    except BackupInProgress as exc:
        return {"status": "skipped", "reason": str(exc)}
    return {"status": record.status, "key": record.key, "size": record.size}


@shared_task(time_limit=30 * 60)
def prune_backups_task() -> dict:
    from avataq.backups import backups_prune

    report = backups_prune()
    return {"deleted": report.deleted, "kept": len(report.kept)}


@shared_task(time_limit=BACKUP_TIME_LIMIT)
def verify_backup_task() -> dict:
    from avataq.backups import verify_backup

    result = verify_backup(latest=True)
    return {"key": result.key, "ok": result.ok}


@shared_task(time_limit=5 * 60)
def backups_freshness_task() -> dict:
    from avataq.backups import backups_alert_if_stale

    return {"stale": backups_alert_if_stale()}
