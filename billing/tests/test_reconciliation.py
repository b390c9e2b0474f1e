"""Applying matches: statuses follow, undo gives everything back, nothing twice."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing import reconciliation, services
from billing.models import BankAccount, Match, ScheduledPayment, StatementLine
from billing.tests.factories_payments import validated_living_payments

D = Decimal


def bank_line(amount: str, text: str = "VIREMENT", account=None) -> StatementLine:
    account = (
        account
        or BankAccount.objects.get_or_create(
            name="Ops", defaults={"institution": "Desjardins", "account_number": "4567"}
        )[0]
    )
    csv = f"Date,Description,Amount\n2025-09-02,{text},{amount}\n".encode()
    account.csv_mapping = {"date": "Date", "description": "Description", "amount": "Amount"}
    account.save()
    services.statement_import(
        account=account, data=csv, filename=f"{text}.csv", source_format="csv"
    )
    return StatementLine.objects.order_by("-pk").first()


@pytest.mark.django_db
def test_a_full_match_reconciles_the_payment_and_records_who():
    payment = validated_living_payments()[0]
    line = bank_line("-1100.00")

    [match] = reconciliation.match_create(line=line, parts=[(payment, D("1100.00"))], by=None)

    payment.refresh_from_db()
    assert (payment.status, payment.reconciled_amount) == ("reconciled", D("1100.00"))
    assert (match.previous_status, match.rule) == ("scheduled", "manual")


@pytest.mark.django_db
def test_one_line_split_over_several_payments():
    first, second = validated_living_payments()[:2]
    line = bank_line("-2200.00")

    reconciliation.match_create(line=line, parts=[(first, D("1100")), (second, D("1100"))], by=None)

    assert set(
        ScheduledPayment.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    ) == {"reconciled"}


@pytest.mark.django_db
def test_a_partial_payment_leaves_the_rest_to_reconcile():
    payment = validated_living_payments()[0]

    reconciliation.match_create(line=bank_line("-600.00"), parts=[(payment, D("600"))], by=None)
    payment.refresh_from_db()
    assert (payment.status, payment.reconciled_amount) == ("scheduled", D("600.00"))
    reconciliation.match_create(
        line=bank_line("-500.00", "SOLDE"), parts=[(payment, D("500"))], by=None
    )

    payment.refresh_from_db()
    assert payment.status == "reconciled"


@pytest.mark.django_db
def test_nothing_is_reconciled_twice():
    payment = validated_living_payments()[0]
    reconciliation.match_create(line=bank_line("-1100.00"), parts=[(payment, D("1100"))], by=None)

    with pytest.raises(reconciliation.ReconciliationConflict, match="already reconciled"):
        reconciliation.match_create(
            line=bank_line("-1100.00", "AGAIN"), parts=[(payment, D("1100"))], by=None
        )


@pytest.mark.django_db
def test_the_database_itself_refuses_an_over_reconciled_payment():
    payment = validated_living_payments()[0]

    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledPayment.objects.filter(pk=payment.pk).update(reconciled_amount=D("1100.01"))


@pytest.mark.django_db
def test_undo_gives_back_amounts_and_status():
    payment = validated_living_payments()[0]
    line = bank_line("-1100.00")
    [match] = reconciliation.match_create(line=line, parts=[(payment, D("1100"))], by=None)

    reconciliation.match_undo(match=match, by=None)

    payment.refresh_from_db()
    line.refresh_from_db()
    assert (payment.status, payment.reconciled_amount, line.matched_amount) == (
        "scheduled",
        D("0.00"),
        D("0.00"),
    )
    assert Match.objects.get().undone_at is not None


@pytest.mark.django_db
def test_a_write_off_needs_a_reason_and_stays_small():
    line = bank_line("-1102.00")

    with pytest.raises(reconciliation.ReconciliationConflict, match="needs a reason"):
        reconciliation.write_off(line=line, amount=D("2"), reason="", by=None)
    with pytest.raises(reconciliation.ReconciliationConflict, match=r"at most \$5\.00"):
        reconciliation.write_off(line=line, amount=D("50"), reason="fees", by=None)
    match = reconciliation.write_off(line=line, amount=D("2.00"), reason="Bank fee", by=None)

    assert (match.kind, match.amount) == ("write_off", D("2.00"))


@pytest.mark.django_db
def test_auto_reconcile_applies_only_reference_matches():
    payments = validated_living_payments()
    referenced = bank_line("-1100.00", f"VIREMENT {payments[0].reference}")
    bank_line("-1100.00", "VIREMENT SANS REFERENCE")

    applied = reconciliation.statement_auto_reconcile(statement=referenced.statement, by=None)

    assert applied == 1
    assert Match.objects.get().payment == payments[0]


@pytest.mark.django_db(transaction=True)
def test_two_users_racing_on_one_payment_one_wins_the_other_is_told():
    payment = validated_living_payments()[0]
    lines = [bank_line("-1100.00", "ONE"), bank_line("-1100.00", "TWO")]
    barrier, outcomes = threading.Barrier(2), []

    def attempt(line):
        barrier.wait()
        try:
            reconciliation.match_create(line=line, parts=[(payment, D("1100"))], by=None)
            outcomes.append("matched")
        except reconciliation.ReconciliationConflict as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[0].startswith("Payment AVQ-") and "matched" in outcomes
    assert Match.objects.count() == 1


def approved_invoice(total="7500.00"):
    from billing.models import SchoolInvoice
    from scholarships.tests.factories import ScholarYearFactory, SchoolFactory

    return SchoolInvoice.objects.create(
        school=SchoolFactory(),
        invoice_number="JAC-2025-117",
        scholar_year=ScholarYearFactory(),
        issued_on=dt.date(2025, 9, 10),
        total=D(total),
        status="approved",
    )


@pytest.mark.django_db
def test_a_line_naming_an_invoice_number_reconciles_the_invoice_at_import():
    invoice = approved_invoice()
    line = bank_line("-7500.00", "PAIEMENT FACTURE JAC-2025-117")

    applied = reconciliation.statement_auto_reconcile(statement=line.statement, by=None)

    invoice.refresh_from_db()
    assert applied == 1
    assert (invoice.status, invoice.reconciled_amount) == ("reconciled", D("7500.00"))


@pytest.mark.django_db
def test_undoing_an_invoice_match_gives_back_its_status():
    invoice = approved_invoice()
    match = reconciliation.invoice_match(
        line=bank_line("-7500.00"), invoice=invoice, amount=D("7500.00"), by=None
    )

    reconciliation.match_undo(match=match, by=None)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.reconciled_amount) == ("approved", D("0.00"))


@pytest.mark.django_db
def test_an_invoice_is_never_reconciled_beyond_its_total():
    invoice = approved_invoice(total="100.00")

    with pytest.raises(
        reconciliation.ReconciliationConflict, match=r"has less than \$150\.00 left"
    ):
        reconciliation.invoice_match(
            line=bank_line("-150.00"), invoice=invoice, amount=D("150"), by=None
        )
