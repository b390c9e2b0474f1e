"""Queueing, sending and retrying email: every message goes through the outbox."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from avataq.queue import publish_on_commit
from avataq.redaction import redact
from portal import mail
from portal.models import MailTemplate, OutgoingEmail
from scholarships.models import Student

log = logging.getLogger(__name__)
Status = OutgoingEmail.Status
SWEEP_GRACE = dt.timedelta(minutes=1)
SMTP_TIMEOUT = 10  # seconds: a hung mail server fails the attempt, it is retried later


def absolute_url(path: str) -> str:
    """A link for an email: ``PORTAL_BASE_URL`` plus ``path`` (no request in a task)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def student_address(student: Student) -> str:
    """Where a student's emails go: the portal account's email, else the record's."""
    if student.user_id and student.user.email:
        return student.user.email
    return student.email


def _templates(code: str) -> dict[str, MailTemplate]:
    return {t.language: t for t in MailTemplate.objects.filter(code=code)}


def _template(
    code: str, language: str, found: dict[str, MailTemplate] | None = None
) -> MailTemplate:
    found = _templates(code) if found is None else found
    template = found.get(language) or found.get("en")
    if template is None:
        raise mail.MailError(f"no mail template {code!r} in {language!r} or English")
    return template


@dataclass(frozen=True)
class Mail:
    """One email to queue: ``code``'s template in ``language`` with ``context``."""

    to: str
    language: str
    context: dict[str, object]
    student: Student | None = None


@transaction.atomic
def mail_queue_many(*, code: str, mails: Sequence[Mail]) -> list[OutgoingEmail]:
    """Render ``code`` for each of ``mails`` (English where a language has no template)
    and queue them in one insert; each is sent once the surrounding transaction commits.
    The one path: a single email is a batch of one."""
    found = _templates(code)
    emails = []
    for item in mails:
        template = _template(code, item.language, found)
        rendered = mail.render(subject=template.subject, body=template.body, context=item.context)
        emails.append(
            OutgoingEmail(
                to=item.to,
                template_code=code,
                language=template.language,
                subject=rendered.subject[:300],
                body=rendered.body,
                student=item.student,
                # The task queued below sends it now; the sweep retries it only if that
                # was lost.
                next_attempt_at=timezone.now() + SWEEP_GRACE,
            )
        )
    return _outbox(emails)


def _outbox(emails: list[OutgoingEmail]) -> list[OutgoingEmail]:
    OutgoingEmail.objects.bulk_create(emails)
    from portal.tasks import outgoing_email_send_task

    # If the broker cannot take them, the rows wait for the sweep (every minute).
    for email in emails:
        publish_on_commit(outgoing_email_send_task, email.pk)
    return emails


@dataclass(frozen=True)
class Written:
    """An email whose words the sender wrote (from a project template, in the
    recipient's language), not one of the staff-edited mail templates."""

    to: str
    language: str
    subject: str
    body: str
    student: Student | None = None


@transaction.atomic
def mail_queue_written(*, code: str, mails: Sequence[Written]) -> list[OutgoingEmail]:
    """Queue already written emails through the same outbox (sent after the commit,
    retried)."""
    return _outbox(
        [
            OutgoingEmail(
                to=item.to,
                template_code=code,
                language=item.language,
                subject=item.subject[:300],
                body=item.body,
                student=item.student,
                next_attempt_at=timezone.now() + SWEEP_GRACE,
            )
            for item in mails
        ]
    )


def mail_queue(
    *,
    code: str,
    to: str,
    language: str,
    context: dict[str, object],
    student: Student | None = None,
) -> OutgoingEmail:
    """Render ``code`` in ``language`` (English when that language has no template) and
    queue it; it is sent once the surrounding transaction commits."""
    return mail_queue_many(
        code=code, mails=[Mail(to=to, language=language, context=context, student=student)]
    )[0]


# Emails a visitor can ask for (a new confirmation link, a password reset) go to one
# address at most once in a while, so those forms cannot be used to flood an inbox.
ASK_AGAIN_AFTER = dt.timedelta(minutes=5)
ASKED_PER_DAY = 5


def mail_may_be_asked_for(*, code: str, to: str, now: dt.datetime | None = None) -> bool:
    """Whether another ``code`` email may go to ``to`` now (the page answers the same
    either way: nothing says whether one was sent)."""
    now = now or timezone.now()
    recent = OutgoingEmail.objects.filter(
        to__iexact=to, template_code=code, created_at__gte=now - dt.timedelta(days=1)
    ).values_list("created_at", flat=True)
    times = list(recent[:ASKED_PER_DAY])
    return len(times) < ASKED_PER_DAY and all(t < now - ASK_AGAIN_AFTER for t in times)


def _backoff(attempts: int) -> dt.timedelta:
    # 5 min, 20 min, 45 min, 80 min: a mail server that is down for an hour loses nothing.
    return dt.timedelta(minutes=5 * attempts * attempts)


def outgoing_email_send(*, email_id: int) -> OutgoingEmail:
    """Send one queued email, at most once. The attempt is recorded (``sending``) and
    committed before the mail server is called, and the answer recorded after: a worker
    that dies in between leaves the email ``sending``, which nothing sends again by itself
    (the sweep marks it failed for a person to decide: the server may have taken it). A
    failure is recorded (attempts, error, next try) and never raised."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        )
        if email is None or email.status != Status.QUEUED:
            return email or OutgoingEmail.objects.get(pk=email_id)
        email.attempts += 1
        email.status = Status.SENDING
        email.next_attempt_at = timezone.now()  # while sending: when this attempt began
        email.save(update_fields=["attempts", "status", "next_attempt_at"])
    try:
        EmailMessage(
            subject=email.subject,
            body=email.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            connection=get_connection(fail_silently=False, timeout=SMTP_TIMEOUT),
        ).send()
    except Exception as exc:  # any failure of the mail server is retried
        email.error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= OutgoingEmail.MAX_ATTEMPTS:
            email.status, email.next_attempt_at = Status.FAILED, None
            log.error("email %s to %s failed for good: %s", email.pk, email.to, email.error)
        else:
            email.status = Status.QUEUED
            email.next_attempt_at = timezone.now() + _backoff(email.attempts)
            log.warning("email %s to %s failed, will retry: %s", email.pk, email.to, email.error)
    else:
        email.status, email.sent_at, email.error = Status.SENT, timezone.now(), ""
        email.next_attempt_at = None
        # Delivered: the one-time link in it has no business staying in the database
        # (and its backups). An email not sent yet keeps it, to be sent again.
        email.body = redact(email.body)
    email.save(update_fields=["status", "sent_at", "error", "next_attempt_at", "body"])
    return email


# An email "sending" for longer than any send takes was interrupted (a worker killed
# between the mail server's answer and its record): it may or may not have gone out.
INTERRUPTED_AFTER = dt.timedelta(minutes=15)


def outgoing_emails_retry(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send again every queued email whose next attempt is due; returns how many were
    tried. Also picks up an email whose first send never ran (a lost task)."""
    now = now or timezone.now()
    OutgoingEmail.objects.filter(
        status=Status.SENDING, next_attempt_at__lt=now - INTERRUPTED_AFTER
    ).update(
        status=Status.FAILED,
        next_attempt_at=None,
        error="Interrupted while the mail server was being told: it may have gone out. "
        "Send again only if the person did not get it.",
    )
    due = list(
        OutgoingEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for email_id in due:
        outgoing_email_send(email_id=email_id)
    return len(due)


@transaction.atomic
def mail_template_save(*, template: MailTemplate) -> MailTemplate:
    """Save a template staff edited; one that does not render is refused (the admin form
    shows the same check's messages before this is reached)."""
    template.full_clean()
    template.save()
    return template


def outgoing_email_resend(*, email: OutgoingEmail) -> OutgoingEmail:
    """Staff's 'send again': a failed email gets a fresh set of attempts, and is sent now."""
    with transaction.atomic():
        OutgoingEmail.objects.filter(pk=email.pk, status=Status.FAILED).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
    return outgoing_email_send(email_id=email.pk)
