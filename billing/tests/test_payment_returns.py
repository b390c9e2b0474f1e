import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import BankAccount, Match, PaymentRun, ScheduledPayment, StatementLine
from billing.payments import runs
from billing.reconciliation import ReconciliationConflict, match_undo
from billing.services import statement_import_and_reconcile
from billing.tests.camt_from_run import camt053_for_run
from billing.tests.factories_payments import (
    bank_details,
    finance_user,
    validated_living_payments,
)

pytestmark = pytest.mark.django_db
FAR = dt.date(2030, 1, 1)


@pytest.fixture
def sent_run(django_capture_on_commit_callbacks):
    """Due payments → a run → approved by a second Finance user → pain.001 produced."""
    found = validated_living_payments()
    bank_details(student=found[0].enrollment.student, account="123456789")
    bank_details(school=found[0].enrollment.school, account="5550001")
    run = runs.payment_run_build(due_until=FAR, by=finance_user())
    run = runs.payment_run_approve(run=run, by=finance_user())
    return runs.payment_run_send(run=run, by=None)


@pytest.fixture
def account():
    return BankAccount.objects.create(
        name="Operations", institution="Desjardins", account_number="4567"
    )


def _import(run, *, returned=(), fees=()):
    data = camt053_for_run(
        run, day=timezone.localdate(), account="1234567", returned=returned, fees=fees
    )
    BankAccount.objects.filter(account_number="4567").update(account_number="4567")
    return statement_import_and_reconcile(
        account=BankAccount.objects.get(), data=data, filename="run.xml", source_format="camt053"
    )


def _first_reference(run: PaymentRun) -> str:
    return run.items.order_by("payment__reference").values_list("payment__reference", flat=True)[0]


def test_end_to_end_every_payment_is_matched_and_the_return_reopened(sent_run, account):
    returned = _first_reference(sent_run)

    statement, applied = _import(sent_run, returned=(returned,), fees=(Decimal("2.50"),))

    payments = ScheduledPayment.objects.filter(run_items__run=sent_run).distinct()
    assert applied == payments.count()
    assert set(payments.exclude(reference=returned).values_list("status", flat=True)) == {
        "reconciled"
    }
    reopened = payments.get(reference=returned)
    assert reopened.status == "returned"
    assert "AC04" in reopened.return_reason
    fee = StatementLine.objects.get(statement=statement, amount=Decimal("-2.50"))
    assert fee.matched_amount == 0  # a fee is no payment: left for a person


def test_a_returned_payment_is_offered_to_the_next_run(sent_run, account):
    returned = _first_reference(sent_run)
    _import(sent_run, returned=(returned,))

    next_run = runs.payment_run_build(due_until=FAR, by=finance_user())

    assert list(next_run.items.values_list("payment__reference", flat=True)) == [returned]


def test_a_returned_payment_can_be_reconciled_again_once_paid_anew(sent_run, account):
    returned = _first_reference(sent_run)
    _import(sent_run, returned=(returned,))

    assert ScheduledPayment.objects.get(reference=returned).reconciled_amount == 0


def test_a_return_line_is_settled_by_a_return_match(sent_run, account):
    returned = _first_reference(sent_run)

    _import(sent_run, returned=(returned,))

    match = Match.objects.get(kind=Match.Kind.RETURN)
    assert match.payment.reference == returned
    assert match.line.matched_amount == match.line.amount


def test_a_returned_payments_matches_are_not_undone(sent_run, account):
    returned = _first_reference(sent_run)
    _import(sent_run, returned=(returned,))

    with pytest.raises(ReconciliationConflict):
        match_undo(match=Match.objects.get(kind=Match.Kind.RETURN), by=None)


def test_a_credit_naming_no_sent_payment_reopens_nothing(sent_run, account):
    _import(sent_run)

    assert not ScheduledPayment.objects.filter(status="returned").exists()
