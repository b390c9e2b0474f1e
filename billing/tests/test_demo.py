"""The demo (``seed_demo``) shows the program in motion, on a small seed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from billing.demo import RETURN_TEXT
from billing.models import BankAccount, ComputingSheet, Match, ScheduledPayment, StatementLine
from enrollment.models import Enrollment

pytestmark = pytest.mark.django_db
STUDENTS = "60"  # enough for every state; seeds in a few seconds


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--students", STUDENTS)


def counts(queryset, field: str) -> dict[str, int]:
    return dict(queryset.values_list(field).annotate(n=Count("pk")))


def test_the_demo_has_enrollments_in_every_state_and_sheets_validated_in_revision_and_drafts(
    seeded,
):
    sheets = ComputingSheet.objects

    assert set(counts(Enrollment.objects, "status")) == set(Enrollment.Status.values)
    assert sheets.filter(status="validated").exists()
    assert sheets.filter(status="draft", revision=1).exists()  # documents still missing
    in_revision = sheets.filter(status="draft", revision__gt=1)
    assert in_revision.exists()
    assert all(d.previous.status == "validated" for d in in_revision.select_related("previous"))


def test_the_demos_payments_are_spread_over_months_and_at_every_step(seeded):
    payments = ScheduledPayment.objects
    months = {(d.year, d.month) for d in payments.values_list("due_date", flat=True)}
    today = timezone.localdate()

    assert len(months) >= 8
    assert {"scheduled", "sent", "paid", "reconciled"} <= set(counts(payments, "status"))
    assert not payments.filter(status="scheduled", due_date__lt=today - dt.timedelta(days=7))
    assert not payments.filter(status__in=["paid", "reconciled"], due_date__gt=today)


def test_the_demo_has_two_bank_accounts_and_a_month_of_statement_half_reconciled(seeded):
    lines = StatementLine.objects.filter(amount__lt=0)  # the transfers paid out
    live = Match.objects.filter(undone_at__isnull=True, line__in=lines)
    matched = live.values("line").distinct().count()

    assert BankAccount.objects.count() == 2
    assert 0.25 <= matched / lines.count() <= 0.75
    returned = StatementLine.objects.get(description__startswith=RETURN_TEXT)
    payment = ScheduledPayment.objects.get(reference=returned.description.split()[-1])
    # The money never reached the student: the bank's return line is matched to the
    # payment as a return, which reopened it for the next run.
    assert payment.status == "returned"
    assert Match.objects.filter(line=returned, payment=payment, kind="return").exists()
