"""Celery tasks: thin, idempotent wrappers over avataq.backups; they own their retries.

A backup or a verification is acknowledged late, after it ran: a worker that dies
(killed, out of memory, machine lost) leaves its message unacknowledged, and the broker
hands it out again — at once when only the pool process died
(``reject_on_worker_lost``), after the broker's visibility timeout when the whole worker
did (``CELERY_BROKER_TRANSPORT_OPTIONS``). That timeout is shorter than these tasks may
run: a message that comes back while its task still runs finds the task's advisory lock
held and stands down. A backup runs at most :data:`~avataq.backups.TASK_ATTEMPTS` times
for one message, so a backup that kills its worker every time is not retried forever.
"""

from celery import shared_task

from avataq.backups import BACKUP_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=BACKUP_TIME_LIMIT,
    soft_time_limit=BACKUP_TIME_LIMIT - 300,
)
def backup_database_task(self, trigger: str = "beat") -> dict:
    """A second one while a backup runs (two beats, a redelivery) exits saying why."""
    from avataq.backups import BackupSkipped, backup_database

    try:
        record = backup_database(trigger=trigger, task_id=self.request.id or "")
    except BackupSkipped as exc:
        return {"status": "skipped", "reason": str(exc)}
    return {"status": record.status, "key": record.key, "size": record.size}


@shared_task(time_limit=30 * 60)
def prune_backups_task() -> dict:
    from avataq.backups import backups_prune

    report = backups_prune()
    return {"deleted": report.deleted, "kept": len(report.kept)}


# A verification whose pool process dies is not requeued at once: a restore that runs the
# machine out of memory would do it again, and again. Next week's runs.
@shared_task(acks_late=True, reject_on_worker_lost=False, time_limit=BACKUP_TIME_LIMIT)
def verify_backup_task() -> dict:
    from avataq.backups import BackupSkipped, verify_backup

    try:
        result = verify_backup(latest=True)
    except BackupSkipped as exc:
        return {"status": "skipped", "reason": str(exc)}
    return {"key": result.key, "ok": result.ok}


@shared_task(time_limit=10 * 60)
def backups_freshness_task() -> dict:
    """Hourly: a backup whose process died is marked failed and ops are emailed; the
    uploads failed backups left open are aborted once S3 answers; ops are emailed when
    the newest good backup is too old."""
    from avataq.backups import backups_alert_if_stale, backups_sweep

    report = backups_sweep()
    return {
        "dead": report.dead,
        "uploads_aborted": report.aborted,
        "uploads_left": report.left,
        "stale": backups_alert_if_stale(),
    }
