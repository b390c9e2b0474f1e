"""The retention schedule: what is due, and its destruction — every S3 version gone, the
personal fields anonymised, the accounts still balancing, a destruction record."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

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
            document=world.a.student_document, upload=upload("id.pdf", b"%PDF-1.7\nnew\n%%EOF\n"),
            by=None,
        )  # fmt: skip
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
        world.a.payment.amount, world.a.payment.due_date, world.a.payment.reference
    )  # fmt: skip


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
        "documents": 7, "never_enrolled": 2, "bank_details": 1, "logs": 2,
    }  # fmt: skip


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
