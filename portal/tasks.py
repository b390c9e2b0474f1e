"""Celery tasks of the portal: thin wrappers over services, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def outgoing_email_send_task(email_id: int) -> None:
    """Send one queued email (a failure is recorded on the row and retried by the sweep)."""
    from portal.services.mail import outgoing_email_send

    outgoing_email_send(email_id=email_id)


@shared_task(ignore_result=True)
def outgoing_emails_retry_task() -> int:
    from portal.services.mail import outgoing_emails_retry

    return outgoing_emails_retry()


@shared_task(ignore_result=True)
def password_reset_send_task(email: str) -> int:
    """Email a password-reset link to the account of ``email``, if there is one: the page
    has answered already, the same for every address."""
    from portal.services.accounts import password_reset_send

    return password_reset_send(email=email)


@shared_task(ignore_result=True)
def document_reminders_send_task() -> int:
    from portal.services.reminders import document_reminders_send

    return document_reminders_send()


@shared_task(ignore_result=True)
def unconfirmed_accounts_expire_task() -> int:
    """Nightly: portal accounts whose email no link can confirm any more are removed."""
    from portal.services.accounts import unconfirmed_accounts_expire

    return unconfirmed_accounts_expire()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def data_export_build_task(request_id: int) -> None:
    """Build a student's data export (the same key each time: a retry overwrites it)."""
    from portal.services.privacy import data_export_build

    data_export_build(request_id=request_id)


@shared_task(ignore_result=True)
def retention_review_task() -> int:
    """Nightly: list what the retention schedule makes due, for the privacy officer to
    review and confirm (``manage.py retention_sweep --confirmed-by``)."""
    from portal.services.retention import retention_review_send

    return retention_review_send()
