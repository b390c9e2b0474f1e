"""What the portal's pages read. Every query is scoped to one student, so another
student's rows are never found (404), and each page's query count is fixed here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.models import ComputingSheet, ComputingSheetLine, ScheduledPayment
from documents.models import DocumentIndex
from documents.permissions import student_documents_of
from enrollment.models import ChecklistItem, Enrollment
from portal.models import Account
from scholarships.models import Program, School, Session, Student

OPEN_ITEM = (ChecklistItem.Status.MISSING, ChecklistItem.Status.REFUSED)
LIVE = (
    Enrollment.Status.DRAFT,
    Enrollment.Status.SUBMITTED,
    Enrollment.Status.APPROVED,
    Enrollment.Status.ACTIVE,
)
UPCOMING_PAYMENTS = (ScheduledPayment.Status.SCHEDULED, ScheduledPayment.Status.SENT)


def account_of(user: object) -> Account | None:
    """The portal account of ``user`` with its student record, in one query."""
    return Account.objects.select_related("user__student").filter(user=user).first()


def student_enrollments(student: Student) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(student=student)
        .select_related("session__scholar_year", "school", "program")
        .order_by("-session__start_date", "-pk")
    )


def current_enrollment(student: Student) -> Enrollment | None:
    """The live enrollment of the latest session, else the latest one of any status."""
    enrollments = student_enrollments(student)
    return enrollments.filter(status__in=LIVE).first() or enrollments.first()


def student_checklist(student: Student) -> QuerySet[ChecklistItem]:
    """Every checklist item of the student's enrollments, newest session first."""
    return (
        ChecklistItem.objects.filter(enrollment__student=student)
        .select_related(
            "document_type",
            "document",
            "enrollment__session__scholar_year",
            "enrollment__school",
            "enrollment__program",
        )
        .order_by("-enrollment__session__start_date", "enrollment_id", "document_type__name")
    )


def checklist_document_index(student: Student, item: ChecklistItem) -> DocumentIndex | None:
    """The index row of the document a checklist item holds, if the student may have it
    (the documents app's one rule for what a student downloads)."""
    return student_documents_of(student).filter(s3_key=item.document.key).first()


def missing_documents(student: Student) -> QuerySet[ChecklistItem]:
    return student_checklist(student).filter(status__in=OPEN_ITEM, enrollment__status__in=LIVE)


def student_payments(student: Student) -> QuerySet[ScheduledPayment]:
    return (
        ScheduledPayment.objects.filter(enrollment__student=student)
        .exclude(status=ScheduledPayment.Status.CANCELLED)
        .select_related("enrollment__session", "school")
        .order_by("-due_date", "reference")
    )


def next_payments(student: Student, *, today: dt.date | None = None, limit: int = 3) -> list:
    today = today or timezone.localdate()
    return list(
        ScheduledPayment.objects.filter(
            enrollment__student=student,
            payee=ComputingSheetLine.Payee.STUDENT,
            status__in=UPCOMING_PAYMENTS,
            due_date__gte=today - dt.timedelta(days=31),
        )
        .select_related("enrollment__session")
        .order_by("due_date", "reference")[:limit]
    )


def student_sheets(student: Student) -> QuerySet[ComputingSheet]:
    """Validated sheets only: a draft is still being worked on by staff."""
    return (
        ComputingSheet.objects.filter(
            enrollment__student=student, status=ComputingSheet.Status.VALIDATED
        )
        .select_related("enrollment__session", "enrollment__school", "enrollment__program")
        .order_by("-enrollment__session__start_date", "-revision")
    )


def open_sessions(student: Student, *, today: dt.date | None = None) -> QuerySet[Session]:
    """Sessions a student may apply for: not over, deadline not passed, year open, and
    no live enrollment of theirs already."""
    today = today or timezone.localdate()
    taken = Enrollment.objects.filter(student=student).exclude(
        status__in=Enrollment.CLOSED_STATUSES
    )
    return (
        Session.objects.filter(scholar_year__is_closed=False, end_date__gte=today)
        .filter(Q(application_deadline__isnull=True) | Q(application_deadline__gte=today))
        .exclude(pk__in=taken.values("session_id"))
        .select_related("scholar_year")
        .order_by("start_date")
    )


def upcoming_deadlines(*, today: dt.date | None = None) -> QuerySet[Session]:
    """For the public home page: sessions still open to applications."""
    today = today or timezone.localdate()
    return (
        Session.objects.filter(scholar_year__is_closed=False, end_date__gte=today)
        .filter(Q(application_deadline__isnull=True) | Q(application_deadline__gte=today))
        .select_related("scholar_year")
        .order_by("start_date")
    )


def active_schools() -> QuerySet[School]:
    return School.objects.filter(is_active=True).order_by("name")


def programs_of(school: School) -> QuerySet[Program]:
    return Program.objects.filter(school=school, is_active=True).order_by("name")


@dataclass(frozen=True)
class Dashboard:
    current: Enrollment | None
    missing: list[ChecklistItem]
    payments: list[ScheduledPayment]


def dashboard(student: Student) -> Dashboard:
    return Dashboard(
        current=current_enrollment(student),
        missing=list(missing_documents(student)[:10]),
        payments=next_payments(student),
    )
