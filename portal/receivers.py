"""Emails to students when their file moves: the enrollment and billing apps send
signals (they know nothing of the portal), these receivers queue the emails. Each email
is rendered now and sent after the commit, so a step that rolls back sends nothing."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from avataq.money import format_money
from billing.models import (
    BankDetails,
    ComputingSheet,
    ComputingSheetLine,
    PaymentRun,
    PaymentRunItem,
    ScheduledPayment,
)
from enrollment.models import ChecklistItem, Enrollment
from portal.mail import MailError
from portal.services.mail import (
    Mail,
    Written,
    absolute_url,
    mail_queue,
    mail_queue_many,
    mail_queue_written,
    student_address,
)
from scholarships.models import Student

log = logging.getLogger(__name__)


def _queue(code: str, student: Student, context: dict[str, object]) -> None:
    to = student_address(student)
    if not to:
        return  # no address on file: staff see the student has none
    try:
        mail_queue(
            code=code,
            to=to,
            language=student.language,
            context={"first_name": student.first_name, **context},
            student=student,
        )
    except MailError:
        # A missing template must not undo the step itself (an approval, a payment):
        # the step stands, ops hear of the email that could not be made.
        log.exception("email %s to student %s could not be queued", code, student.pk)


def _enrollment_context(enrollment: Enrollment) -> dict[str, object]:
    enrollment = Enrollment.objects.select_related(
        "student__user", "session__scholar_year", "school", "program"
    ).get(pk=enrollment.pk)
    return {
        "enrollment": enrollment,
        "session": enrollment.session.code,
        "school": enrollment.school.name,
        "program": enrollment.program.name,
    }


def on_enrollment_submitted(sender: Any, enrollment: Enrollment, **kwargs: Any) -> None:
    ctx = _enrollment_context(enrollment)
    student = ctx.pop("enrollment").student
    _queue("application_received", student, {**ctx, "portal_url": absolute_url("/my/enrollments/")})


def on_enrollment_approved(sender: Any, enrollment: Enrollment, **kwargs: Any) -> None:
    ctx = _enrollment_context(enrollment)
    student = ctx.pop("enrollment").student
    _queue("enrollment_approved", student, {**ctx, "portal_url": absolute_url("/my/")})


def on_enrollment_refused(sender: Any, enrollment: Enrollment, **kwargs: Any) -> None:
    ctx = _enrollment_context(enrollment)
    enrollment = ctx.pop("enrollment")
    _queue(
        "enrollment_refused",
        enrollment.student,
        {**ctx, "reason": enrollment.status_reason, "contact_email": settings.PORTAL_CONTACT_EMAIL},
    )


def on_checklist_item_refused(sender: Any, item: ChecklistItem, **kwargs: Any) -> None:
    item = ChecklistItem.objects.select_related(
        "document_type", "enrollment__session", "enrollment__student__user"
    ).get(pk=item.pk)
    student = item.enrollment.student
    document = item.document_type.label(student.language)
    _queue(
        "document_refused",
        student,
        {
            "document": document,
            "session": item.enrollment.session.code,
            "reason": item.reason,
            "documents_url": absolute_url(reverse("portal:documents")),
        },
    )


def on_sheet_validated(sender: Any, sheets: list[ComputingSheet], **kwargs: Any) -> None:
    """One email per student whose sheet was validated; a batch in a fixed number of
    queries (the bulk path validates thousands)."""
    sheets = ComputingSheet.objects.select_related(
        "enrollment__session", "enrollment__student__user"
    ).filter(pk__in=[sheet.pk for sheet in sheets])
    url = absolute_url(reverse("portal:sheets"))
    mails = []
    for sheet in sheets.order_by("pk"):
        student = sheet.enrollment.student
        to = student_address(student)
        if not to:
            continue  # no address on file: staff see the student has none
        mails.append(
            Mail(
                to=to,
                language=student.language,
                student=student,
                context={
                    "first_name": student.first_name,
                    "session": sheet.enrollment.session.code,
                    "student_total": format_money(sheet.student_total, student.language),
                    "school_total": format_money(sheet.school_total, student.language),
                    "sheets_url": url,
                },
            )
        )
    try:
        mail_queue_many(code="sheet_validated", mails=mails)
    except MailError:
        log.exception("sheet_validated emails could not be queued")


def on_payment_sent(sender: Any, payment: ScheduledPayment, **kwargs: Any) -> None:
    if payment.payee != ComputingSheetLine.Payee.STUDENT:
        return  # the school hears from finance, not from the portal
    payment = ScheduledPayment.objects.select_related("enrollment__student__user").get(
        pk=payment.pk
    )
    student = payment.enrollment.student
    with translation.override(student.language):
        period = formats.date_format(payment.period, "YEAR_MONTH_FORMAT")
    _queue(
        "payment_sent",
        student,
        {
            "amount": format_money(payment.amount, student.language),
            "period": period,
            "reference": payment.reference,
            "payments_url": absolute_url(reverse("portal:payments")),
        },
    )


def on_bank_details_changed(sender: Any, details: Any, **kwargs: Any) -> None:
    """Tell a student their bank details were entered or changed, at the address on file
    (a change made by someone else is how this fraud is caught)."""
    if details.student_id is None:
        return
    student = Student.objects.select_related("user").get(pk=details.student_id)
    to = student_address(student)
    if not to:
        return
    with translation.override(student.language):
        when = formats.date_format(timezone.localtime(details.changed_at), "DATETIME_FORMAT")
        subject = gettext("Your bank details were changed")
        body = gettext(
            "Hello %(first_name)s,\n\n"
            "The bank details of your sponsorship file were changed on %(when)s: "
            "account %(account)s, institution %(institution)s, transit %(transit)s.\n"
            "No payment goes to them until a second person at the program has checked "
            "them.\n\n"
            "If you did not ask for this change, tell us at once: %(contact)s\n"
        ) % {
            "first_name": student.first_name,
            "when": when,
            "account": details.masked,
            "institution": details.institution,
            "transit": details.transit,
            "contact": settings.PORTAL_CONTACT_EMAIL or settings.DEFAULT_FROM_EMAIL,
        }
    mail_queue_written(
        code="bank_details_changed",
        mails=[
            Written(to=to, language=student.language, subject=subject, body=body, student=student)
        ],
    )


def on_payment_run_sent(sender: Any, run: Any, **kwargs: Any) -> None:
    """A remittance to each payee of a run whose file went to the bank: a student, in
    their language, the payments they will receive; a school, at its billing address,
    the list of its students and amounts. A fixed number of queries for the run."""
    items = (
        PaymentRunItem.objects.filter(run=run, active=True)
        .select_related("payment__enrollment__student__user", "payment__school", "bank_details")
        .order_by("payment__enrollment__student__last_name", "payment__reference")
    )
    by_student: dict[int, list[ScheduledPayment]] = {}
    by_school: dict[int, list[ScheduledPayment]] = {}
    account: dict[int, str] = {}
    for item in items:
        payment = item.payment
        account[payment.pk] = item.bank_details.masked
        if payment.payee == ComputingSheetLine.Payee.SCHOOL and payment.school_id:
            by_school.setdefault(payment.school_id, []).append(payment)
        else:
            by_student.setdefault(payment.enrollment.student_id, []).append(payment)
    mails = []
    for payments in by_student.values():
        student = payments[0].enrollment.student
        to = student_address(student)
        if not to:
            continue
        language = student.language
        with translation.override(language):
            lines = "\n".join(
                f"- {p.kind()} ({formats.date_format(p.period, 'YEAR_MONTH_FORMAT')}): "
                f"{format_money(p.amount, language)} — {p.reference}"
                for p in payments
            )
            total = format_money(sum(p.amount for p in payments), language)
            subject = gettext("Payment on its way: %(total)s") % {"total": total}
            body = gettext(
                "Hello %(first_name)s,\n\nThe program sent these payments to your bank "
                "account %(account)s on %(date)s:\n%(lines)s\n\nTotal: %(total)s\n"
                "Your payments: %(url)s\n"
            ) % {
                "first_name": student.first_name,
                "lines": lines,
                "total": total,
                "date": formats.date_format(run.execution_date),
                "account": account[payments[0].pk],
                "url": absolute_url(reverse("portal:payments")),
            }
        mails.append(Written(to=to, language=language, subject=subject, body=body, student=student))
    for payments in by_school.values():
        school = payments[0].school
        if not school.billing_email:
            continue
        language = settings.LANGUAGE_CODE
        with translation.override(language):
            lines = "\n".join(
                f"- {p.enrollment.student.last_name}, {p.enrollment.student.first_name} "
                f"({p.enrollment.student.status_no}): {p.kind()} "
                f"{format_money(p.amount, language)} — {p.reference}"
                for p in payments
            )
            total = format_money(sum(p.amount for p in payments), language)
            subject = gettext("Remittance advice: %(total)s") % {"total": total}
            body = gettext(
                "Hello,\n\nThe program sent %(total)s to %(school)s on %(date)s, for these "
                "students:\n%(lines)s\n"
            ) % {
                "total": total,
                "school": school.name,
                "lines": lines,
                "date": formats.date_format(run.execution_date),
            }
        mails.append(
            Written(to=school.billing_email, language=language, subject=subject, body=body)
        )
    mail_queue_written(code="remittance", mails=mails)


def on_student_file_opened(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    """A record opened or a document downloaded: once committed, see whether its user has
    opened an unusual number of students' files today (the privacy officer is told)."""
    if not created:
        return
    from django.db import transaction

    from portal.services.privacy import privacy_alert_check

    user_id = instance.user_id
    transaction.on_commit(lambda: privacy_alert_check(user_id=user_id), robust=True)


def connect() -> None:
    from django.db.models.signals import post_save

    from billing import signals as billing_signals
    from documents.models import DocumentAccess
    from enrollment import signals as enrollment_signals
    from scholarships.models import StudentRecordAccess

    pairs = [
        (enrollment_signals.enrollment_submitted, on_enrollment_submitted, Enrollment),
        (enrollment_signals.enrollment_approved, on_enrollment_approved, Enrollment),
        (enrollment_signals.enrollment_refused, on_enrollment_refused, Enrollment),
        (enrollment_signals.checklist_item_refused, on_checklist_item_refused, ChecklistItem),
        (billing_signals.sheet_validated, on_sheet_validated, ComputingSheet),
        (billing_signals.payment_sent, on_payment_sent, ScheduledPayment),
        (billing_signals.bank_details_changed, on_bank_details_changed, BankDetails),
        (billing_signals.payment_run_sent, on_payment_run_sent, PaymentRun),
    ]
    for signal, receiver, sender in pairs:
        signal.connect(receiver, sender=sender, dispatch_uid=f"portal.{receiver.__name__}")
    for model in (StudentRecordAccess, DocumentAccess):
        post_save.connect(
            on_student_file_opened, sender=model, dispatch_uid=f"portal.opened.{model.__name__}"
        )
