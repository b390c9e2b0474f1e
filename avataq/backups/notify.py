"""Telling ops: a backup failed, a run died, a verification failed, backups are stale."""

from __future__ import annotations

import logging

from django.core.mail import mail_admins

logger = logging.getLogger(__name__)


def notify_ops(subject: str, message: str) -> None:
    """Email the admins; an email that cannot be sent is logged, never raised (the
    failure being reported is what the caller raises)."""
    try:
        mail_admins(f"[Avataq] {subject}", message, fail_silently=False)
    except Exception:
        logger.exception("could not email ops about: %s", subject)
