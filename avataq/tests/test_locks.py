"""One lock order: rows of several models are locked parents first, whatever order the
caller names them in, and the two paths that lock a student's rows — a student's upload
in the portal and a staff member filing a document for the same enrollment — run against
each other without a deadlock."""

import threading
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from avataq import locks
from avataq.tests.factories import StaffUserFactory
from documents.models import DocumentType
from documents.tests.factories import upload
from enrollment import checklist
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.services.student import checklist_document_upload
from portal.tests.factories import AccountFactory
from scholarships.models import Student
from scholarships.tests.factories import ScholarYearFactory, SessionFactory, StudentFactory


def locked_tables(queries) -> list[str]:
    return [
        query["sql"].split(" FROM ", 1)[1].split()[0].strip('"')
        for query in queries
        if "FOR UPDATE" in query["sql"] or "FOR NO KEY UPDATE" in query["sql"]
    ]


@pytest.mark.django_db
def test_rows_are_locked_parents_first_whatever_order_they_are_asked_in():
    enrollment = EnrollmentFactory()

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        items, students, enrollments = locks.lock(
            ChecklistItem.objects.filter(enrollment=enrollment),
            Student.objects.filter(pk=enrollment.student_id),
            Enrollment.objects.filter(pk=enrollment.pk),
        )

    assert locked_tables(queries.captured_queries) == [
        "scholarships_student",
        "enrollment_enrollment",
        "enrollment_checklistitem",
    ]
    assert (students, enrollments, items) == ([enrollment.student], [enrollment], [])


@pytest.mark.django_db
def test_a_model_with_no_place_in_the_order_cannot_be_locked():
    with transaction.atomic(), pytest.raises(locks.LockOrderError, match="no place"):
        locks.lock(DocumentType.objects.all())


@pytest.mark.django_db(transaction=True)
def test_locking_outside_a_transaction_is_refused():
    with pytest.raises(locks.LockOrderError, match="transaction"):
        locks.lock(Student.objects.all())


def test_a_session_lock_is_not_taken_as_a_transaction_lock():
    with pytest.raises(TypeError, match="session lock"):
        locks.advisory_xact_lock(locks.Advisory.BACKUP, "x")


ROUNDS = 6


@pytest.mark.django_db(transaction=True)
def test_a_students_upload_and_a_staff_filing_for_one_enrollment_never_deadlock():
    schedule, _ = DocumentType.objects.get_or_create(  # flushed by an earlier such test
        code="schedule",
        defaults={"name": "Schedule", "name_fr": "Horaire", "applies_to": "enrollment"},
    )
    RequiredDocument.objects.create(document_type=schedule)
    account = AccountFactory()
    staff = StaffUserFactory()
    student = StudentFactory(user=account.user)
    enrollments = []
    for year in range(2020, 2020 + ROUNDS):
        session = SessionFactory(scholar_year=ScholarYearFactory(first=year))
        enrollment = EnrollmentFactory(status="submitted", student=student, session=session)
        checklist.checklist_sync(enrollment=enrollment)
        enrollments.append(enrollment)
    failures: list[BaseException] = []

    def student_uploads(enrollment: Enrollment, start: threading.Barrier) -> None:
        item = enrollment.checklist.get()
        start.wait()
        checklist_document_upload(item=item, upload=upload("horaire.pdf"), by=account.user)

    def staff_files(enrollment: Enrollment, start: threading.Barrier) -> None:
        document = EnrollmentDocument(enrollment=enrollment, document_type=schedule)
        start.wait()
        checklist.enrollment_document_add(document=document, upload=upload("s.pdf"), by=staff)

    def run(work, enrollment, start) -> None:
        try:
            work(enrollment, start)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    for enrollment in enrollments:
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=run, args=(work, enrollment, start))
            for work in (student_uploads, staff_files)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert failures == []
    assert EnrollmentDocument.objects.count() == 2 * ROUNDS
    assert set(ChecklistItem.objects.values_list("status", flat=True)) == {"received"}


# Where a row lock may still be taken by hand, and why: a queue taking the next free rows
# (``skip_locked``: it never waits, so it cannot deadlock) and the bulk paths that lock
# tens of thousands of rows as values, in primary-key order.
HAND_LOCKS = {
    "billing/reconciliation.py": "bulk matching: values of many rows, payments before lines",
    "billing/bulk.py": "bulk sheets: many enrollments' rows in primary-key order",
    "portal/services/accounts.py": "expiry sweep: skip_locked",
    "portal/services/mail.py": "outbox: skip_locked",
}


def test_no_service_takes_a_row_lock_by_hand_outside_the_listed_exceptions():
    root = Path(__file__).resolve().parents[2]
    by_hand = {
        str(path.relative_to(root))
        for app in ["avataq", "scholarships", "enrollment", "billing", "documents", "portal"]
        for path in (root / app).rglob("*.py")
        if "tests" not in path.parts and "select_for_update(" in path.read_text()
    }

    assert by_hand - {"avataq/locks.py"} <= set(HAND_LOCKS)
