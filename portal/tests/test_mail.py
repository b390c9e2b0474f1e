"""Mail templates, the outbox and its retries, and the emails the workflow sends."""

import datetime as dt
import socket

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone

from avataq.money import format_money
from avataq.tests.factories import StaffUserFactory
from billing import services as billing
from billing.models import ScheduledPayment
from billing.tests.factories_payments import validated_living_payments
from documents.models import DocumentType
from enrollment import checklist
from enrollment import services as enrollment_services
from enrollment.models import ChecklistItem, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal import mail
from portal.models import MailTemplate, OutgoingEmail
from portal.services.mail import (
    mail_may_be_asked_for,
    mail_queue,
    outgoing_email_send,
    outgoing_emails_retry,
)
from portal.services.reminders import document_reminders_send
from portal.tests.factories import portal_student

pytestmark = pytest.mark.django_db
Status = OutgoingEmail.Status


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("code", sorted(mail.CATALOG))
def test_every_default_template_renders_in_both_languages(code, language):
    template = MailTemplate.objects.get(code=code, language=language)

    rendered = mail.render(
        subject=template.subject, body=template.body, context=dict(mail.CATALOG[code].sample)
    )

    assert rendered.subject and "\n" not in rendered.subject
    for name, value in mail.CATALOG[code].sample.items():
        if isinstance(value, list):
            assert all(str(item) in rendered.body for item in value), name
        elif "{{ %s }}" % name in template.body:  # noqa: UP031 — the template's own syntax
            assert str(value) in rendered.body, name


def test_french_templates_are_in_french():
    subjects = dict(MailTemplate.objects.filter(language="fr").values_list("code", "subject"))
    assert subjects["password_reset"].startswith("Réinitialisez")
    assert "Bonjour" in MailTemplate.objects.get(code="payment_sent", language="fr").body


def test_a_template_with_a_syntax_error_is_refused_at_save_time():
    problems = mail.template_problems(
        code="payment_sent", subject="Paid", body="Hello {% if first_name %}{{ first_name }}"
    )

    assert "Template syntax error" in problems["body"][0]


def test_a_template_printing_a_variable_its_email_lacks_is_refused_naming_it():
    problems = mail.template_problems(
        code="payment_sent", subject="Paid {{ amout }}", body="{{ first_name }}"
    )

    assert "amout" in problems["subject"][0]
    assert "amount" in problems["subject"][0]  # and it says what can be used
    assert "body" not in problems


def test_staff_cannot_save_a_broken_template_in_the_admin(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    template = MailTemplate.objects.get(code="payment_sent", language="en")
    url = reverse("admin:portal_mailtemplate_change", args=[template.pk])

    response = client.post(url, {"subject": "Sent {{ amount }}", "body": "Hi {{ firstname }}"})

    assert response.status_code == 200
    assert "firstname" in response.content.decode()
    template.refresh_from_db()
    assert "firstname" not in template.body


def test_the_admin_previews_a_template_with_sample_values(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    template = MailTemplate.objects.get(code="payment_sent", language="fr")

    response = client.get(reverse("admin:portal_mailtemplate_change", args=[template.pk]))

    assert "AVQ-LIVING-12345-01" in response.content.decode()


def test_rendering_with_a_missing_variable_fails_instead_of_sending_a_blank():
    with pytest.raises(mail.MailError, match="amount"):
        mail.render(subject="{{ amount }}", body="x", context={})


def test_a_queued_email_is_sent_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_reset_email("fr")

    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 1
    assert django_mail.outbox[0].subject.startswith("Réinitialisez")
    assert django_mail.outbox[0].to == ["annie@example.org"]


def test_a_sent_email_keeps_no_one_time_link(django_capture_on_commit_callbacks):
    link = "https://portal.example.org/account/reset/MQ/c4k2-0123456789abcdef/"
    with django_capture_on_commit_callbacks(execute=True):
        email = mail_queue(
            code="password_reset",
            to="annie@example.org",
            language="en",
            context={"reset_url": link, "hours": 3},
        )

    email.refresh_from_db()
    assert link in django_mail.outbox[0].body  # the student got the link
    assert "c4k2-0123456789abcdef" not in email.body and "/account/reset/…" in email.body


def test_an_email_not_sent_yet_keeps_its_link_for_the_next_try(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = False
    link = "https://portal.example.org/account/reset/MQ/c4k2-0123456789abcdef/"
    email = mail_queue(
        code="password_reset",
        to="annie@example.org",
        language="en",
        context={"reset_url": link, "hours": 3},
    )

    outgoing_email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == Status.QUEUED and link in email.body


def queue_reset_email(language: str = "en") -> OutgoingEmail:
    return mail_queue(
        code="password_reset",
        to="annie@example.org",
        language=language,
        context={"reset_url": "https://x/reset/", "hours": 3},
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failed_send_is_recorded_and_retried_until_it_goes(settings):
    email = queue_reset_email()
    # A real SMTP connection to a port where nothing listens: the mail server is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = False

    email = outgoing_email_send(email_id=email.pk)

    assert email.status == Status.QUEUED and email.attempts == 1
    assert "ConnectionRefused" in email.error
    assert email.next_attempt_at > timezone.now()
    # Not due yet: the sweep leaves it alone.
    assert outgoing_emails_retry() == 0
    # The server is back; once due, the sweep sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outgoing_emails_retry(now=email.next_attempt_at) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 2 and email.error == ""
    assert len(django_mail.outbox) == 1


def test_an_email_that_keeps_failing_is_marked_failed_after_five_attempts(settings):
    email = queue_reset_email()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()

    for _ in range(OutgoingEmail.MAX_ATTEMPTS):
        email = outgoing_email_send(email_id=email.pk)

    assert email.status == Status.FAILED and email.attempts == OutgoingEmail.MAX_ATTEMPTS
    assert outgoing_emails_retry(now=timezone.now() + dt.timedelta(days=1)) == 0


def test_a_sent_email_is_never_sent_twice():
    email = queue_reset_email()
    outgoing_email_send(email_id=email.pk)
    outgoing_email_send(email_id=email.pk)

    assert len(django_mail.outbox) == 1


# --- emails the workflow sends -------------------------------------------------------------
def test_submitting_an_application_emails_the_student_in_their_language():
    student = portal_student(language="fr")
    enrollment = EnrollmentFactory(student=student)

    enrollment_services.enrollment_submit(enrollment=enrollment, by=student.user)

    email = OutgoingEmail.objects.get(template_code="application_received")
    assert email.to == student.user.email and email.language == "fr"
    assert enrollment.session.code in email.subject


def test_approval_and_refusal_each_email_the_student():
    staff = StaffUserFactory(group="Staff")
    approved = EnrollmentFactory(status="submitted", student=portal_student())
    refused = EnrollmentFactory(status="submitted", student=portal_student())

    enrollment_services.enrollment_approve(enrollment=approved, by=staff)
    enrollment_services.enrollment_refuse(enrollment=refused, by=staff, reason="Not eligible.")

    assert (
        OutgoingEmail.objects.get(template_code="enrollment_approved").student == approved.student
    )
    email = OutgoingEmail.objects.get(template_code="enrollment_refused")
    assert email.student == refused.student and "Not eligible." in email.body


def test_a_refused_document_emails_the_reason(django_capture_on_commit_callbacks):
    from documents.tests.factories import upload

    RequiredDocument.objects.create(document_type=DocumentType.objects.get(code="schedule"))
    enrollment = EnrollmentFactory(status="submitted", student=portal_student(language="fr"))
    checklist.checklist_sync(enrollment=enrollment)
    document = EnrollmentDocument(
        enrollment=enrollment, document_type=DocumentType.objects.get(code="schedule")
    )
    with django_capture_on_commit_callbacks(execute=True):
        checklist.enrollment_document_add(document=document, upload=upload(), by=None)
    item = ChecklistItem.objects.get(enrollment=enrollment)

    checklist.checklist_item_refuse(item=item, by=StaffUserFactory(), reason="Page 2 missing.")

    email = OutgoingEmail.objects.get(template_code="document_refused")
    assert "Horaire" in email.body and "Page 2 missing." in email.body


def test_a_validated_sheet_and_a_sent_payment_email_the_student_with_amounts():
    payments = validated_living_payments()
    student = payments[0].enrollment.student

    billing.payment_mark(payment=payments[0], status=ScheduledPayment.Status.SENT)

    sheet = payments[0].sheet
    sheet_email = OutgoingEmail.objects.get(template_code="sheet_validated")
    assert sheet_email.student == student
    assert student.language == "en"
    assert f"Paid to you: {format_money(sheet.student_total)}\n" in sheet_email.body
    assert f"Paid to your school: {format_money(sheet.school_total)}\n" in sheet_email.body
    payment_email = OutgoingEmail.objects.get(template_code="payment_sent")
    assert f"{payments[0].amount:,}" in payment_email.body
    assert payments[0].reference in payment_email.body


def test_a_payment_to_the_school_sends_the_student_nothing():
    payments = validated_living_payments()
    school_payment = ScheduledPayment.objects.filter(payee="school").first()

    billing.payment_mark(payment=school_payment, status=ScheduledPayment.Status.SENT)

    assert payments and not OutgoingEmail.objects.filter(template_code="payment_sent").exists()


# --- the daily reminder ------------------------------------------------------------------
@pytest.fixture
def waiting_enrollment(db):
    RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code="proof-of-enrollment")
    )
    enrollment = EnrollmentFactory(status="submitted", student=portal_student(language="fr"))
    checklist.checklist_sync(enrollment=enrollment)
    return enrollment


def test_a_student_with_missing_documents_gets_a_reminder_listing_them(waiting_enrollment):
    assert document_reminders_send() == 1

    email = OutgoingEmail.objects.get(template_code="document_missing")
    assert email.student == waiting_enrollment.student
    assert f"Preuve d'inscription ({waiting_enrollment.session.code})" in email.body


def test_reminders_go_at_most_once_a_week_per_student(waiting_enrollment):
    now = timezone.now()
    document_reminders_send(now=now)

    assert document_reminders_send(now=now + dt.timedelta(days=1)) == 0
    OutgoingEmail.objects.update(created_at=now - dt.timedelta(days=8))
    assert document_reminders_send(now=now) == 1


def test_no_reminder_once_the_documents_are_received(waiting_enrollment):
    from documents.tests.factories import upload

    document = EnrollmentDocument(
        enrollment=waiting_enrollment,
        document_type=DocumentType.objects.get(code="proof-of-enrollment"),
    )
    checklist.enrollment_document_add(document=document, upload=upload(), by=None)

    assert document_reminders_send() == 0


def test_a_missing_template_never_undoes_the_step_that_emails():
    MailTemplate.objects.filter(code="enrollment_approved").delete()
    enrollment = EnrollmentFactory(status="submitted", student=portal_student())

    enrollment_services.enrollment_approve(enrollment=enrollment, by=StaffUserFactory())

    enrollment.refresh_from_db()
    assert enrollment.status == "approved"
    assert not OutgoingEmail.objects.filter(template_code="enrollment_approved").exists()


# --- emails a visitor can ask for ---------------------------------------------------------
def test_a_second_request_within_five_minutes_sends_nothing_more():
    queue_reset_email()

    assert not mail_may_be_asked_for(code="password_reset", to="ANNIE@example.org")


def reset_email_sent(ago: dt.timedelta) -> None:
    email = OutgoingEmail.objects.create(
        to="annie@example.org",
        template_code="password_reset",
        language="en",
        subject="Reset",
        body="…",
    )
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - ago)


def test_another_may_go_after_five_minutes():
    reset_email_sent(dt.timedelta(minutes=6))

    assert mail_may_be_asked_for(code="password_reset", to="annie@example.org")


def test_no_more_than_five_a_day():
    for hours in range(1, 6):
        reset_email_sent(dt.timedelta(hours=hours))

    assert not mail_may_be_asked_for(code="password_reset", to="annie@example.org")


def test_yesterdays_emails_do_not_count_against_today():
    for minutes in range(1, 6):
        reset_email_sent(dt.timedelta(days=1, minutes=minutes))

    assert mail_may_be_asked_for(code="password_reset", to="annie@example.org")


def test_the_check_reads_the_index_not_the_whole_outbox():
    from django.db import connection

    sql, params = (
        OutgoingEmail.objects.filter(to__iexact="a@example.org", template_code="password_reset")
        .values("pk")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())

    assert "outgoing_email_to_idx" in plan


# --- at most once, whatever dies when -----------------------------------------------------
def queued_email() -> OutgoingEmail:
    return mail_queue(
        code="password_reset",
        to="annie@example.org",
        language="en",
        context={"reset_url": "https://x/account/reset/a/b/", "hours": 3},
    )


def test_the_attempt_is_recorded_before_the_mail_server_is_called(monkeypatch):
    email = queued_email()
    seen = []

    def send(self, *args, **kwargs):
        seen.append(OutgoingEmail.objects.get(pk=email.pk).status)
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)

    outgoing_email_send(email_id=email.pk)

    assert seen == ["sending"]
    assert OutgoingEmail.objects.get(pk=email.pk).status == "sent"


def test_an_email_left_sending_by_a_dead_worker_is_never_sent_again_by_itself():
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )

    outgoing_emails_retry(now=timezone.now())

    email.refresh_from_db()
    assert email.status == "failed" and "may have gone out" in email.error
    assert django_mail.outbox == []


def test_an_email_being_sent_now_is_left_alone_by_the_sweep():
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status="sending", next_attempt_at=timezone.now()
    )

    tried = outgoing_emails_retry(now=timezone.now() + dt.timedelta(minutes=2))

    email.refresh_from_db()
    assert (tried, email.status) == (0, "sending")
