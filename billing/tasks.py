"""Celery tasks of billing: thin wrappers over services, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def statement_file_import_task(job_id: int) -> None:
    """Import a statement file Finance sent (a finished one is left as it is)."""
    from billing.statement_files import statement_file_run

    statement_file_run(job_id=job_id)


@shared_task(ignore_result=True)
def statement_files_sweep_task() -> int:
    from billing.statement_files import statement_files_sweep

    return statement_files_sweep()
