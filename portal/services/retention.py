"""The retention schedule applied: what is due (listed every night for the privacy officer),
and its destruction once confirmed — documents removed from the storage with every
version, personal fields anonymised on the records the accounts still need (payments keep
their amounts, dates and references), old logs deleted — each with a destruction record.

Never touched: a student with a live enrollment, a payment not reconciled (or cancelled),
or an open privacy request."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from avataq import locks
from billing.models import (
    BankDetails,
    BankDetailsAccess,
    ComputingSheetLine,
    Recovery,
    ScheduledPayment,
    SchoolInvoiceLine,
)
from billing.payments import crypto
from documents.models import DocumentAccess, DocumentIndex, DocumentVersion
from documents.services import EXPORTS_FOLDER
from documents.storage import StorageUnavailable, document_storage
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument
from portal.models import (
    Account,
    ClaimAttempt,
    CorrectionRequest,
    DataRequest,
    DestructionRecord,
    Invitation,
    OutgoingEmail,
    RetentionRule,
)
from portal.services.privacy import PrivacyError
from scholarships.models import Student, StudentDocument, StudentRecordAccess

log = logging.getLogger(__name__)
Kind = RetentionRule.Kind
ANONYMISED = "Anonymised"
ANONYMOUS_BIRTH = dt.date(1900, 1, 1)
LIVE_ENROLLMENT = (
    Enrollment.Status.DRAFT,
    Enrollment.Status.SUBMITTED,
    Enrollment.Status.APPROVED,
    Enrollment.Status.ACTIVE,
)
ENROLLED = (Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED)
SETTLED_PAYMENT = (ScheduledPayment.Status.RECONCILED, ScheduledPayment.Status.CANCELLED)


@dataclass
class Due:
    """One thing the schedule makes due: a student's file, a student's bank details, or
    the logs older than the cutoff."""

    kind: str
    years: int
    what: str
    student_id: int | None = None
    cutoff: dt.datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def entries(self) -> int:
        return sum(self.counts.values())


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def protected_students() -> QuerySet:
    """Ids of students nothing may be destroyed of: a live enrollment, a payment not
    settled, an open request."""
    return (
        Student.objects.filter(
            Q(enrollments__status__in=LIVE_ENROLLMENT)
            | Q(
                enrollments__payments__in=ScheduledPayment.objects.exclude(
                    status__in=SETTLED_PAYMENT
                )
            )
            | Q(data_requests__status=DataRequest.Status.OPEN)
        )
        .order_by()
        .values("pk")
    )


def _done(kind: str) -> QuerySet:
    return DestructionRecord.objects.filter(kind=kind, student_id_ref__isnull=False).values(
        "student_id_ref"
    )


def retention_due(*, today: dt.date | None = None) -> list[Due]:
    """What the active rules make due on ``today``."""
    today = today or timezone.localdate()
    rules = {rule.kind: rule.years for rule in RetentionRule.objects.filter(is_active=True)}
    due: list[Due] = []
    candidates = Student.objects.exclude(pk__in=protected_students())
    if Kind.DOCUMENTS in rules:
        years = rules[Kind.DOCUMENTS]
        ended = (
            candidates.filter(enrollments__status__in=ENROLLED)
            .exclude(pk__in=_done(Kind.DOCUMENTS))
            .annotate(last_end=Max("enrollments__session__end_date"))
            .filter(last_end__lt=_years_before(today, years))
        )
        due += [
            Due(Kind.DOCUMENTS, years, _("File of student record #%(id)s") % {"id": pk}, pk)
            for pk in ended.values_list("pk", flat=True).distinct()
        ]
    if Kind.NEVER_ENROLLED in rules:
        years = rules[Kind.NEVER_ENROLLED]
        cutoff = _years_before(today, years)
        never = (
            candidates.exclude(enrollments__status__in=ENROLLED)
            .exclude(pk__in=_done(Kind.NEVER_ENROLLED))
            .annotate(last_activity=Max("enrollments__updated_at"))
            .filter(updated_at__date__lt=cutoff)
            .filter(Q(last_activity__isnull=True) | Q(last_activity__date__lt=cutoff))
        )
        due += [
            Due(
                Kind.NEVER_ENROLLED,
                years,
                _("Applicant record #%(id)s (never enrolled)") % {"id": pk},
                pk,
            )
            for pk in never.values_list("pk", flat=True)
        ]
    if Kind.BANK_DETAILS in rules:
        years = rules[Kind.BANK_DETAILS]
        cutoff = _years_before(today, years)
        details = (
            BankDetails.objects.filter(student__in=candidates)
            .exclude(holder_name=ANONYMISED)
            .annotate(last_payment=Max("student__enrollments__payments__due_date"))
            .filter(
                Q(last_payment__lt=cutoff)
                | Q(last_payment__isnull=True, changed_at__date__lt=cutoff)
            )
        )
        due += [
            Due(
                Kind.BANK_DETAILS,
                years,
                _("Bank details of student record #%(id)s") % {"id": student_id},
                student_id,
            )
            for student_id in details.values_list("student_id", flat=True)
        ]
    if Kind.LOGS in rules:
        years = rules[Kind.LOGS]
        cutoff = timezone.make_aware(dt.datetime.combine(_years_before(today, years), dt.time.min))
        counts = {
            "record_accesses": StudentRecordAccess.objects.filter(accessed_at__lt=cutoff).count(),
            "document_accesses": DocumentAccess.objects.filter(accessed_at__lt=cutoff).count(),
            "bank_details_accesses": BankDetailsAccess.objects.filter(
                accessed_at__lt=cutoff
            ).count(),
            "emails": OutgoingEmail.objects.filter(created_at__lt=cutoff)
            .exclude(status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING])
            .count(),
        }
        if any(counts.values()):
            due.append(
                Due(
                    Kind.LOGS,
                    years,
                    _("Logs written before %(day)s") % {"day": cutoff.date()},
                    cutoff=cutoff,
                    counts=counts,
                )
            )
    return due


# --- destroying -------------------------------------------------------------------------
def _remove_objects(keys: list[str]) -> None:
    """After the commit: each object with every version (a failure is logged, the rows
    are gone already; the verify command reports what is left)."""
    storage = document_storage()
    for key in keys:
        try:
            storage.delete_every_version(key)
        except StorageUnavailable as exc:
            log.error("retention: %s could not be removed from the storage (%s)", key, exc)


def _documents_destroy(student: Student) -> dict[str, int]:
    """Rows now, objects (every version, archive copies, exports) once committed."""
    storage = document_storage()
    indexes = DocumentIndex.objects.filter(student=student)
    keys = set(indexes.values_list("s3_key", flat=True))
    keys |= set(
        DocumentVersion.objects.filter(document__student=student)
        .exclude(archive_key="")
        .values_list("archive_key", flat=True)
    )
    for prefix in (f"{student.status_no}/", f"{EXPORTS_FOLDER}/{student.status_no}/"):
        keys |= {obj.key for obj in storage.iter_objects(prefix)}
    counts = {
        # An item received says which document it holds: with the document, it goes.
        "checklist_items": ChecklistItem.objects.filter(enrollment__student=student).delete()[0],
        "student_documents": StudentDocument.objects.filter(student=student).delete()[0],
        "enrollment_documents": EnrollmentDocument.objects.filter(
            enrollment__student=student
        ).delete()[0],
        "indexed_documents": indexes.delete()[1].get(DocumentIndex._meta.label, 0),
        "stored_objects": len(keys),
    }
    DataRequest.objects.filter(student=student).update(export_key="")
    ordered = sorted(keys)
    transaction.on_commit(lambda: _remove_objects(ordered), robust=True)
    return counts


def _bank_details_anonymise(student: Student) -> int:
    (found,) = locks.lock(BankDetails.objects.filter(student=student))
    details = found[0] if found else None
    if details is None or details.holder_name == ANONYMISED:
        return 0
    details.holder_name = ANONYMISED
    details.account_ciphertext = crypto.encrypt("")
    details.account_last3 = ""
    if details.scheme == BankDetails.Scheme.CANADA:
        details.institution, details.transit = "000", "00000"
    details.save(
        update_fields=[
            "holder_name",
            "account_ciphertext",
            "account_last3",
            "institution",
            "transit",
        ]
    )
    details.history.all().delete()  # past versions hold the name and numbers
    BankDetailsAccess.objects.filter(details=details).delete()
    return 1


def _student_anonymise(student: Student) -> dict[str, int]:
    """Personal fields go; the financial records stay (amounts, dates, references), with
    their free text about the person cleared."""
    from scholarships.services import student_save

    user = student.user
    counts = {
        "emails": OutgoingEmail.objects.filter(student=student).delete()[0],
        "claims": ClaimAttempt.objects.filter(student=student).delete()[0],
        "invitations": Invitation.objects.filter(student=student).delete()[0],
        "bank_details": _bank_details_anonymise(student),
    }
    Recovery.objects.filter(enrollment__student=student).update(reason=ANONYMISED)
    SchoolInvoiceLine.objects.filter(student=student).update(description=ANONYMISED)
    ComputingSheetLine.objects.filter(sheet__enrollment__student=student, is_manual=True).update(
        reason=ANONYMISED
    )
    Enrollment.objects.filter(student=student).update(notes="", status_reason="")
    Enrollment.history.filter(student_id=student.pk).update(notes="", status_reason="")
    CorrectionRequest.objects.filter(student=student).update(
        current_value="", proposed_value=ANONYMISED, explanation="", reason=""
    )
    DataRequest.objects.filter(student=student).update(details="", answer="")
    student.history.all().delete()  # past versions hold every personal field
    student.first_name, student.last_name = ANONYMISED, f"#{student.pk}"
    student.status_no = f"9{student.pk:011d}"
    student.date_of_birth = ANONYMOUS_BIRTH
    student.email = student.phone = ""
    student.marital_status, student.dependants = Student.MaritalStatus.SINGLE, 0
    student.user, student.counsellor, student.is_active = None, None, False
    student_save(student=student, by=None)
    if user is not None:
        Account.objects.filter(user=user).delete()
        user.username, user.email = f"anonymised-{user.pk}", ""
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return counts


@transaction.atomic
def _destroy_student(due: Due, by: AbstractBaseUser) -> DestructionRecord:
    student = locks.lock_one(Student.objects.filter(pk=due.student_id))
    if Student.objects.filter(pk=student.pk, pk__in=protected_students()).exists():
        raise PrivacyError(_("Student record #%(id)s is in use again.") % {"id": student.pk})
    if due.kind == Kind.BANK_DETAILS:
        counts = {"bank_details": _bank_details_anonymise(student)}
    else:
        counts = _documents_destroy(student)
        counts |= _student_anonymise(student)
    return DestructionRecord.objects.create(
        kind=due.kind,
        years=due.years,
        student_id_ref=student.pk,
        what=due.what,
        counts=counts,
        confirmed_by=by,
    )


@transaction.atomic
def _destroy_logs(due: Due, by: AbstractBaseUser) -> DestructionRecord:
    cutoff = due.cutoff
    counts = {
        "record_accesses": StudentRecordAccess.objects.filter(accessed_at__lt=cutoff).delete()[0],
        "document_accesses": DocumentAccess.objects.filter(accessed_at__lt=cutoff).delete()[0],
        "bank_details_accesses": BankDetailsAccess.objects.filter(accessed_at__lt=cutoff).delete()[
            0
        ],
        "emails": OutgoingEmail.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING])
        .delete()[0],
    }
    return DestructionRecord.objects.create(
        kind=due.kind, years=due.years, what=due.what, counts=counts, confirmed_by=by
    )


def due_fingerprint(due: list[Due]) -> str:
    """A short digest of a list of what is due: the confirmation carries the one the
    privacy officer reviewed, so what is destroyed is what they read."""
    text = "\n".join(f"{d.kind}:{d.student_id}:{d.cutoff}:{sorted(d.counts.items())}" for d in due)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def retention_apply(
    *, by: AbstractBaseUser, today: dt.date | None = None, reviewed: str | None = None
) -> tuple[list[DestructionRecord], list[str]]:
    """Destroy what is due, confirmed by ``by`` (the privacy officer, having reviewed the
    list — ``reviewed``, its :func:`due_fingerprint`: a list that changed since is
    refused): one transaction per student, so one in use again stops only itself. When
    the storage does not answer, the sweep stops there: that student's transaction is
    rolled back (nothing of it half-destroyed), the rest is left for the next sweep.
    (records, problems)."""
    due = retention_due(today=today)
    if reviewed is not None and reviewed != due_fingerprint(due):
        raise PrivacyError(
            _("What is due changed since the list was reviewed: review it again, then confirm.")
        )
    records, problems = [], []
    for item in due:
        try:
            if item.kind == Kind.LOGS:
                records.append(_destroy_logs(item, by))
            else:
                records.append(_destroy_student(item, by))
        except StorageUnavailable:
            problems.append(
                _(
                    "The document storage is not answering: %(what)s and what follows were "
                    "not touched. Try again in a few minutes."
                )
                % {"what": item.what}
            )
            break
        except PrivacyError as exc:
            problems.append(str(exc))
    return records, problems


@transaction.atomic
def retention_rule_update(
    *, rule: RetentionRule, years: int, is_active: bool, notes: str
) -> RetentionRule:
    rule = locks.lock_one(RetentionRule.objects.filter(pk=rule.pk))
    rule.years, rule.is_active, rule.notes = years, is_active, notes
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise PrivacyError("; ".join(exc.messages)) from None
    rule.save()
    return rule


def retention_review_send(*, today: dt.date | None = None) -> int:
    """Email the privacy officer the list of what is due (nothing is destroyed), in the
    site's language, with a link to the admin screen where they confirm it."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from portal.services.mail import Written, absolute_url, mail_queue_written

    officer = settings.PRIVACY_OFFICER_EMAIL
    if not officer:
        return 0
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        due = retention_due(today=today)
        if not due:
            return 0
        subject = ngettext(
            "Retention: %(count)d item due for destruction",
            "Retention: %(count)d items due for destruction",
            len(due),
        ) % {"count": len(due)}
        body = _(
            "The retention schedule makes these due:\n\n%(items)s\n\n"
            "Review them, then confirm their destruction here: %(url)s\n"
        ) % {
            "items": "\n".join(f"- {item.what}" for item in due),
            "url": absolute_url(reverse("admin:portal_destructionrecord_due")),
        }
    mail_queue_written(
        code="retention_review",
        mails=[Written(to=officer, language=language, subject=subject, body=body)],
    )
    return len(due)
