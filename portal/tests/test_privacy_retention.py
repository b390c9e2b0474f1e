"""The retention schedule: what is due, and its destruction — every S3 version gone, the
personal fields anonymised, the accounts still balancing, a destruction record."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from avataq.tests.factories import StaffUserFactory
from avataq.tests.world import A_NAME, A_STATUS, B_STATUS, build_world
from billing.models import (
    ComputingSheet,
    ComputingSheetLine,
    Match,
    ScheduledPayment,
    StatementLine,
)
from documents import services as document_services
from documents.tests.factories import upload
from enrollment.models import Enrollment
from portal.models import DataRequest, DestructionRecord, RetentionRule
from portal.services import retention
from scholarships.models import Student

pytestmark = pytest.mark.django_db
LATER = dt.date(2040, 1, 1)


def _finished(file) -> None:
    """The student's studies are over and every payment is reconciled: nothing holds the
    file any more."""
    Enrollment.objects.filter(pk=file.enrollment.pk).update(status=Enrollment.Status.COMPLETED)
    ScheduledPayment.objects.filter(enrollment=file.enrollment).update(
        status=ScheduledPayment.Status.RECONCILED
    )


def _books() -> dict:
    """What the accounts say: totals of payments, sheets, lines, bank lines and matches."""
    return {
        "payments": ScheduledPayment.objects.aggregate(s=Sum("amount"))["s"],
        "payment_rows": ScheduledPayment.objects.count(),
        "sheets": ComputingSheet.objects.aggregate(s=Sum("total"))["s"],
        "lines": ComputingSheetLine.objects.aggregate(s=Sum("amount"))["s"],
        "statement": StatementLine.objects.aggregate(s=Sum("amount"))["s"],
        "matched": Match.objects.aggregate(s=Sum("amount"))["s"],
    }


@pytest.fixture
def world(s3, django_capture_on_commit_callbacks):
    world = build_world(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # a prior version to destroy too
        document_services.document_replace(
            document=world.a.student_document,
            upload=upload("id.pdf", b"%PDF-1.7\nnew\n%%EOF\n"),
            by=None,
        )
    _finished(world.a)
    DataRequest.objects.filter(student=world.a.student).update(status="answered")
    return world


def _apply(world, capture):
    with capture(execute=True):
        return retention.retention_apply(by=world.users["Staff"], today=LATER)


def test_a_finished_students_file_is_due_and_a_live_one_is_not(world):
    due = {(d.kind, d.student_id) for d in retention.retention_due(today=LATER)}
    assert ("documents", world.a.student.pk) in due
    assert not [d for d in due if d[1] == world.b.student.pk]


def test_nothing_is_due_before_the_period_ends(world):
    assert not [d for d in retention.retention_due(today=dt.date(2026, 1, 1)) if d.student_id]


def test_destruction_removes_every_stored_version_of_the_documents(
    world, s3, django_capture_on_commit_callbacks
):
    before = s3.keys(f"{A_STATUS}/")
    assert any("/_archive/" in key for key in before)  # the replaced content is there
    _apply(world, django_capture_on_commit_callbacks)
    assert s3.keys(f"{A_STATUS}/") == []
    assert s3.keys(f"{B_STATUS}/")  # the other student's documents stay


def test_destruction_leaves_the_accounts_balancing(world, django_capture_on_commit_callbacks):
    before = _books()
    _apply(world, django_capture_on_commit_callbacks)
    assert _books() == before
    for sheet in ComputingSheet.objects.prefetch_related("lines"):
        assert sheet.total == sheet.school_total + sheet.student_total
        assert sum((line.amount for line in sheet.lines.all()), Decimal("0")) == sheet.total
    payment = ScheduledPayment.objects.get(pk=world.a.payment.pk)
    assert (payment.amount, payment.due_date, payment.reference) == (
        world.a.payment.amount,
        world.a.payment.due_date,
        world.a.payment.reference,
    )


def test_destruction_anonymises_the_record_and_its_history(
    world, django_capture_on_commit_callbacks
):
    _apply(world, django_capture_on_commit_callbacks)
    student = Student.objects.get(pk=world.a.student.pk)
    assert A_NAME not in str(student)
    assert A_STATUS not in student.status_no
    assert not student.history.filter(last_name=A_NAME).exists()
    assert student.user is None


def test_destruction_is_recorded_with_its_rule_and_who_confirmed(
    world, django_capture_on_commit_callbacks
):
    _records, problems = _apply(world, django_capture_on_commit_callbacks)
    assert problems == []
    record = DestructionRecord.objects.get(student_id_ref=world.a.student.pk)
    assert (record.kind, record.years, record.confirmed_by) == (
        "documents",
        7,
        world.users["Staff"],
    )
    assert record.counts["indexed_documents"] == 2


def test_an_open_request_protects_the_file(world, django_capture_on_commit_callbacks):
    DataRequest.objects.create(student=world.a.student, kind=DataRequest.Kind.ACCESS, due_on=LATER)
    _apply(world, django_capture_on_commit_callbacks)
    assert Student.objects.get(pk=world.a.student.pk).last_name == A_NAME


def test_the_default_schedule(world):
    assert dict(RetentionRule.objects.values_list("kind", "years")) == {
        "documents": 7,
        "never_enrolled": 2,
        "bank_details": 1,
        "logs": 2,
    }


def test_old_logs_are_destroyed_after_their_period(world, django_capture_on_commit_callbacks):
    from documents.models import DocumentAccess

    assert DocumentAccess.objects.exists()
    _apply(world, django_capture_on_commit_callbacks)
    assert not DocumentAccess.objects.exists()
    assert DestructionRecord.objects.filter(kind="logs").exists()


def test_the_dry_run_lists_and_destroys_nothing(world, capsys):
    call_command("retention_sweep", "--dry-run", "--today", LATER.isoformat())
    out = capsys.readouterr().out
    assert f"#{world.a.student.pk}" in out
    assert "nothing destroyed" in out
    assert Student.objects.get(pk=world.a.student.pk).last_name == A_NAME


# --- applicants never enrolled: 2 years after their last activity ----------------------
def _applicant(last_activity: dt.date) -> Student:
    from portal.models import ClaimAttempt
    from portal.tests.factories import AccountFactory, portal_student

    student = portal_student(last_name="Nappaaluk")
    ClaimAttempt.objects.create(
        account=AccountFactory(),
        status_no=student.status_no,
        date_of_birth=student.date_of_birth,
        student=student,
    )
    noon = timezone.make_aware(dt.datetime.combine(last_activity, dt.time(12)))
    Student.objects.filter(pk=student.pk).update(updated_at=noon)
    return student


def _due_for(student: Student, today: dt.date) -> set[str]:
    return {d.kind for d in retention.retention_due(today=today) if d.student_id == student.pk}


def test_an_applicant_never_enrolled_is_due_the_day_after_two_years_not_before():
    student = _applicant(dt.date(2030, 3, 10))

    assert _due_for(student, dt.date(2032, 3, 10)) == set()
    assert _due_for(student, dt.date(2032, 3, 11)) == {"never_enrolled"}


def test_destroying_a_never_enrolled_applicant_anonymises_their_record_and_login(
    django_capture_on_commit_callbacks,
):
    from portal.models import Account, ClaimAttempt
    from portal.services.retention import ANONYMISED, ANONYMOUS_BIRTH

    student = _applicant(dt.date(2030, 3, 10))
    user, status_no = student.user, student.status_no
    staff = StaffUserFactory(group="Staff")

    with django_capture_on_commit_callbacks(execute=True):
        records, _problems = retention.retention_apply(by=staff, today=dt.date(2033, 1, 1))

    assert [(r.kind, r.student_id_ref) for r in records] == [("never_enrolled", student.pk)]
    student.refresh_from_db()
    assert (student.first_name, student.date_of_birth, student.email) == (
        ANONYMISED,
        ANONYMOUS_BIRTH,
        "",
    )
    assert "Nappaaluk" not in student.last_name and student.user is None
    assert not student.history.filter(last_name="Nappaaluk").exists()
    assert not ClaimAttempt.objects.filter(status_no=status_no).exists()
    assert not Account.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()


# --- bank details: 1 year after the last payment -----------------------------------------
def _paid_student_with_bank_details():
    """A student whose studies ended and whose payments are all reconciled, with their
    bank details on file; the date of their last payment."""
    from billing.tests.factories_payments import bank_details, validated_living_payments

    payments = validated_living_payments()
    enrollment = payments[0].enrollment
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.COMPLETED)
    ScheduledPayment.objects.filter(enrollment=enrollment).update(
        status=ScheduledPayment.Status.RECONCILED
    )
    details = bank_details(student=enrollment.student, account="7654321")
    last = ScheduledPayment.objects.filter(enrollment=enrollment).latest("due_date").due_date
    return enrollment.student, details, last


def test_bank_details_are_due_the_day_after_a_year_from_the_last_payment_not_before():
    student, _details, last = _paid_student_with_bank_details()
    a_year_later = last.replace(year=last.year + 1)

    assert _due_for(student, a_year_later) == set()
    assert _due_for(student, a_year_later + dt.timedelta(days=1)) == {"bank_details"}


def test_destroying_bank_details_erases_them_and_keeps_the_student_and_payments(
    django_capture_on_commit_callbacks,
):
    from billing.models import BankDetails
    from billing.payments import crypto
    from portal.services.retention import ANONYMISED

    student, details, last = _paid_student_with_bank_details()
    payments = list(ScheduledPayment.objects.values_list("pk", "amount", "due_date", "reference"))
    staff = StaffUserFactory(group="Staff")

    with django_capture_on_commit_callbacks(execute=True):
        records, _problems = retention.retention_apply(
            by=staff, today=last.replace(year=last.year + 2)
        )

    assert [(r.kind, r.student_id_ref) for r in records] == [("bank_details", student.pk)]
    erased = BankDetails.objects.get(pk=details.pk)
    assert (erased.holder_name, erased.account_last3, erased.institution, erased.transit) == (
        ANONYMISED,
        "",
        "000",
        "00000",
    )
    assert crypto.decrypt(erased.account_ciphertext) == ""
    assert not erased.history.exists()
    assert Student.objects.get(pk=student.pk).last_name == student.last_name
    assert (
        list(ScheduledPayment.objects.values_list("pk", "amount", "due_date", "reference"))
        == payments
    )


# --- the nightly review -------------------------------------------------------------------
def test_the_nightly_review_is_in_the_sites_language_and_links_to_the_admin_screen(
    settings, django_capture_on_commit_callbacks
):
    from portal.models import OutgoingEmail

    settings.LANGUAGE_CODE = "fr"
    settings.PRIVACY_OFFICER_EMAIL = "officer@example.org"
    _applicant(dt.date(2030, 3, 10))

    assert retention.retention_review_send(today=dt.date(2033, 1, 1)) == 1

    email = OutgoingEmail.objects.get(to="officer@example.org")
    assert (email.language, email.subject) == ("fr", "Conservation : 1 élément à détruire")
    assert "/admin/portal/destructionrecord/due/" in email.body
    assert "Dossier de candidat" in email.body
