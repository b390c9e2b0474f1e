"""What the portal's pages read. Every query is scoped to one student, so another
student's rows are never found (404), and each page's query count is fixed here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from billing.models import BankDetails, ComputingSheet, ComputingSheetLine, ScheduledPayment
from documents.models import DocumentIndex
from documents.permissions import student_documents_of
from enrollment.models import ChecklistItem, Enrollment
from portal.models import Account, CorrectionRequest, DataRequest
from scholarships.models import Program, School, Session, Student
from scholarships.selectors import student_document_downloads

# A payment sent this recently is still on its way to the student's account.
ON_ITS_WAY = dt.timedelta(days=7)


def account_of(user: object) -> Account | None:
    """The portal account of ``user`` with its student record, in one query."""
    from django.conf import settings
    from django.db.models import Exists, OuterRef

    from portal.models import NoticeAcceptance

    # Whether the current privacy notice is accepted comes in the same query.
    accepted = NoticeAcceptance.objects.filter(
        account=OuterRef("pk"), version=settings.PRIVACY_NOTICE_VERSION
    )
    return (
        Account.objects.select_related("user__student")
        .annotate(notice_accepted=Exists(accepted))
        .filter(user=user)
        .first()
    )


def student_enrollments(student: Student) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(student=student)
        .select_related("session__scholar_year", "school", "program")
        .order_by("-session__start_date", "-pk")
    )


def current_enrollments(student: Student, *, today: dt.date | None = None) -> list[Enrollment]:
    """The enrollment under way and the next one, at most: enrollments of sessions not over
    yet, earliest session first (the one in progress, then the ones to come), a live one
    before a refused or withdrawn one of the same session (which still says why). A
    completed enrollment, or one of a session that has ended, is history: the enrollments
    page lists it, the dashboard does not call it current."""
    today = today or timezone.localdate()
    closed = Case(
        When(status__in=Enrollment.CLOSED_STATUSES, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return list(
        student_enrollments(student)
        .filter(session__end_date__gte=today)
        .exclude(status=Enrollment.Status.COMPLETED)
        .annotate(closed=closed)
        .order_by("session__start_date", "closed", "-pk")[:2]
    )


def current_enrollment(student: Student, *, today: dt.date | None = None) -> Enrollment | None:
    """In progress, else the next one (see :func:`current_enrollments`)."""
    found = current_enrollments(student, today=today)
    return found[0] if found else None


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
    return student_checklist(student).filter(
        status__in=ChecklistItem.OPEN_STATUSES, enrollment__status__in=Enrollment.LIVE_STATUSES
    )


def student_payments(student: Student) -> QuerySet[ScheduledPayment]:
    return (
        ScheduledPayment.objects.filter(enrollment__student=student)
        .exclude(status=ScheduledPayment.Status.CANCELLED)
        .select_related("enrollment__session", "school")
        .order_by("-due_date", "reference")
    )


def student_bank_details(student: Student) -> BankDetails | None:
    """The student's bank details (masked wherever shown), or None."""
    return BankDetails.objects.filter(student=student).first()


def next_payments(student: Student, *, today: dt.date | None = None, limit: int = 3) -> list:
    """Payments to the student still to come: scheduled from today on, or sent in the
    last week (on their way). One due long ago and never sent is not "next": staff see it
    in billing; a closed enrollment's are cancelled or recovered."""
    today = today or timezone.localdate()
    return list(
        ScheduledPayment.objects.filter(
            enrollment__student=student,
            payee=ComputingSheetLine.Payee.STUDENT,
            status__in=ScheduledPayment.UPCOMING_STATUSES,
        )
        .filter(
            Q(due_date__gte=today)
            | Q(status=ScheduledPayment.Status.SENT, due_date__gte=today - ON_ITS_WAY)
        )
        .exclude(enrollment__status__in=Enrollment.CLOSED_STATUSES)
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
    current: Enrollment | None  # in progress, else the next one
    in_progress: bool  # the current enrollment's session has begun
    upcoming: Enrollment | None  # the one after it, when there is one
    missing: list[ChecklistItem]
    payments: list[ScheduledPayment]
    # The current enrollment has a checklist and every item of it is received or
    # accepted: only then is "nothing is missing" true (no checklist yet is not complete).
    checklist_complete: bool


def checklist_complete(enrollment: Enrollment | None) -> bool:
    if enrollment is None:
        return False
    counts = ChecklistItem.objects.filter(enrollment=enrollment).aggregate(
        items=Count("pk"), open=Count("pk", filter=Q(status__in=ChecklistItem.OPEN_STATUSES))
    )
    return counts["items"] > 0 and counts["open"] == 0


def dashboard(student: Student, *, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    current = current_enrollments(student, today=today)
    return Dashboard(
        current=current[0] if current else None,
        in_progress=bool(current) and current[0].session.start_date <= today,
        upcoming=current[1] if len(current) > 1 else None,
        missing=list(missing_documents(student)[:10]),
        payments=next_payments(student, today=today),
        checklist_complete=checklist_complete(current[0] if current else None),
    )


# --- privacy -------------------------------------------------------------------------------
def student_exports(student: Student) -> QuerySet:
    """The student's own data-export requests, newest first."""
    return DataRequest.objects.filter(
        student=student, kind__in=[DataRequest.Kind.ACCESS, DataRequest.Kind.PORTABILITY]
    ).order_by("-created_at", "-pk")


def student_document_accesses(student: Student, *, limit: int = 200) -> list:
    """Who was handed a link to the student's documents, newest first: staff by name, the
    student's own downloads as theirs."""
    return student_document_downloads(student, limit=limit)


def student_corrections(student: Student) -> QuerySet:
    return CorrectionRequest.objects.filter(student=student).order_by("-created_at")
