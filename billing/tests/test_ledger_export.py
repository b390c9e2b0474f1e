"""The accounting export: a sent run's journal, a month's (runs, returns, write-offs), the
general-ledger CSV and Xero's manual journal, the same bytes each time, and its ways in
(the run's page, the month page, the command)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from billing import reconciliation
from billing.models import BankAccount, LedgerAccount, PaymentRun
from billing.payments import ledger, runs
from billing.payments.ledger import ExportError
from billing.services import statement_import_and_reconcile
from billing.tests.camt_from_run import camt053_for_run
from billing.tests.factories_payments import (
    bank_details,
    finance_user,
    validated_living_payments,
)
from billing.tests.test_reconciliation import bank_line

pytestmark = pytest.mark.django_db
FAR = dt.date(2030, 1, 1)  # a run due by then is paid on that day
MONTH = "2030-01"
D = Decimal


@pytest.fixture
def payments():
    found = validated_living_payments()
    bank_details(student=found[0].enrollment.student, account="123456789")
    bank_details(school=found[0].enrollment.school, account="5550001")
    return found


def _sent_run(**build) -> PaymentRun:
    run = runs.payment_run_build(due_until=FAR, by=finance_user(), **build)
    run = runs.payment_run_approve(run=run, by=finance_user())
    return runs.payment_run_send(run=run, by=None)


@pytest.fixture
def sent_run(payments) -> PaymentRun:
    return _sent_run()


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def _sum(rows: list[dict], column: str) -> Decimal:
    return sum((D(r[column]) for r in rows if r[column]), D("0"))


def test_a_sent_run_debits_each_payment_and_credits_the_bank_with_its_total(sent_run):
    rows = _rows(ledger.gl_csv(ledger.run_entries(sent_run)))

    debits = [r for r in rows if r["debit"]]
    bank = [r for r in rows if r["account_code"] == ledger.DEFAULT_ACCOUNTS["BANK"]]
    assert len(debits) == sent_run.payment_count
    assert [(b["credit"], b["reference"]) for b in bank] == [
        (f"{sent_run.total:.2f}", f"RUN-{sent_run.pk}")
    ]
    assert _sum(rows, "debit") == _sum(rows, "credit") == sent_run.total


def test_each_payment_is_booked_to_the_default_account_of_its_kind(sent_run):
    rows = _rows(ledger.gl_csv(ledger.run_entries(sent_run)))

    by_reference = {r["reference"]: r["account_code"] for r in rows if r["debit"]}
    codes = dict(sent_run.items.values_list("payment__reference", "payment__code"))
    defaults = ledger.DEFAULT_ACCOUNTS
    assert by_reference == {ref: ledger.account_for(code, defaults) for ref, code in codes.items()}
    assert {code: ledger.account_for(code, defaults) for code in ("TUITION", "TRAVEL")} == {
        "TUITION": "5200",
        "TRAVEL": "5300",
    }


def test_the_account_code_finance_sets_replaces_the_default(sent_run):
    ledger.ledger_account_set(kind="LIVING", account_code="6010", by=finance_user())

    rows = _rows(ledger.gl_csv(ledger.run_entries(sent_run)))

    living = sent_run.items.filter(payment__code="LIVING").values_list(
        "payment__reference", flat=True
    )
    assert {r["account_code"] for r in rows if r["reference"] in set(living)} == {"6010"}


def test_a_supplement_without_its_own_account_is_booked_to_the_living_allowance():
    codes = {**ledger.DEFAULT_ACCOUNTS, "LIVING": "6010"}

    assert ledger.account_for("HOUSING", codes) == "6010"


def test_the_general_ledger_csv_has_the_documented_columns(sent_run):
    data = ledger.gl_csv(ledger.run_entries(sent_run))

    assert data.split(b"\r\n")[0] == b"date,account_code,description,debit,credit,reference"
    assert _rows(data)[0]["date"] == "2030-01-01"


def test_exporting_a_month_twice_gives_identical_bytes(sent_run):
    ledger.ledger_account_set(kind="BANK", account_code="1000", by=None)

    first = ledger.render(ledger.month_entries(MONTH), "gl")
    again = ledger.render(ledger.month_entries(MONTH), "gl")

    assert first == again
    assert b"1000" in first


def test_the_xero_export_of_a_month_is_reproducible_too(sent_run):
    assert ledger.render(ledger.month_entries(MONTH), "xero") == ledger.render(
        ledger.month_entries(MONTH), "xero"
    )


def test_a_month_holds_only_the_runs_paid_in_it(sent_run):
    assert ledger.month_entries("2030-02") == []
    assert {e.journal for e in ledger.month_entries(MONTH)} == {f"Payment run {sent_run.pk}"}


def test_a_cancelled_or_unsent_run_is_not_in_its_month(payments):
    run = runs.payment_run_build(due_until=FAR, by=finance_user())
    runs.payment_run_approve(run=run, by=finance_user())

    assert ledger.month_entries(MONTH) == []


def test_a_run_not_sent_cannot_be_exported(payments):
    run = runs.payment_run_build(due_until=FAR, by=finance_user())

    with pytest.raises(ExportError, match="has not been sent"):
        ledger.run_entries(run)


@pytest.mark.parametrize("month", ["2026-13", "2026-9", "September", ""])
def test_a_month_that_is_not_one_is_refused_naming_it(month):
    with pytest.raises(ExportError, match="is not a month"):
        ledger.month_entries(month)


def test_an_unknown_layout_is_refused():
    with pytest.raises(ExportError, match="gl or xero"):
        ledger.render([], "sage")


def test_a_return_is_booked_back_to_the_bank_in_the_month_of_its_statement_line(sent_run):
    BankAccount.objects.create(name="Operations", institution="Desjardins", account_number="4567")
    returned = sent_run.items.order_by("payment__reference").first().payment
    today = timezone.localdate()
    data = camt053_for_run(sent_run, day=today, account="1234567", returned=(returned.reference,))
    statement_import_and_reconcile(
        account=BankAccount.objects.get(), data=data, filename="run.xml", source_format="camt053"
    )

    entries = [e for e in ledger.month_entries(f"{today:%Y-%m}") if e.journal.startswith("Ret")]

    bank = ledger.DEFAULT_ACCOUNTS["BANK"]
    kind = ledger.DEFAULT_ACCOUNTS[returned.code]
    assert [(e.account, e.debit, e.credit) for e in entries] == [
        (bank, returned.amount, D("0.00")),
        (kind, D("0.00"), returned.amount),
    ]


def test_a_write_off_of_money_out_debits_the_write_off_account():
    line = bank_line("-1102.00")
    reconciliation.write_off(line=line, amount=D("2.00"), reason="Bank fee", by=None)

    entries = ledger.month_entries(f"{line.booked_on:%Y-%m}")

    assert [(e.account, e.debit, e.credit) for e in entries] == [
        (ledger.DEFAULT_ACCOUNTS["WRITE_OFF"], D("2.00"), D("0.00")),
        (ledger.DEFAULT_ACCOUNTS["BANK"], D("0.00"), D("2.00")),
    ]


def test_an_undone_write_off_is_not_booked():
    line = bank_line("-1102.00")
    match = reconciliation.write_off(line=line, amount=D("2.00"), reason="Bank fee", by=None)
    reconciliation.match_undo(match=match, by=None)

    assert ledger.month_entries(f"{line.booked_on:%Y-%m}") == []


def test_the_xero_export_has_the_manual_journal_columns_and_balanced_signed_amounts(sent_run):
    rows = _rows(ledger.render(ledger.run_entries(sent_run), "xero"))

    assert list(rows[0]) == ledger.XERO_HEADER
    assert sum(D(r["*Amount"]) for r in rows) == 0
    assert D(rows[-1]["*Amount"]) == -sent_run.total  # the bank's credit
    assert {r["*Date"] for r in rows} == {"01/01/2030"}
    assert {r["*TaxRate"] for r in rows} == {"Tax Exempt"}


def test_a_description_starting_like_a_formula_is_neutralised():
    entry = ledger.Entry("J", dt.date(2030, 1, 1), "5100", "=HYPERLINK(x)", D("1"), D("0"), "R")

    assert _rows(ledger.gl_csv([entry]))[0]["description"] == "'=HYPERLINK(x)"


# --- the ledger accounts -----------------------------------------------------------------
def test_an_unknown_kind_of_payment_gets_no_account():
    with pytest.raises(ExportError, match="Unknown kind"):
        ledger.ledger_account_set(kind="LOTTERY", account_code="5100", by=None)


def test_an_account_code_with_spaces_inside_is_refused():
    with pytest.raises(ExportError, match="Account code"):
        ledger.ledger_account_set(kind="LIVING", account_code="51 00", by=None)


def test_setting_a_kinds_account_again_changes_its_one_row():
    ledger.ledger_account_set(kind="TRAVEL", account_code="5300", by=None)
    ledger.ledger_account_set(kind="TRAVEL", account_code="5310", by=None)

    assert list(LedgerAccount.objects.values_list("kind", "account_code")) == [("TRAVEL", "5310")]


def test_finance_sets_an_account_code_in_the_admin(client):
    client.force_login(finance_user())

    response = client.post(
        reverse("admin:billing_ledgeraccount_add"),
        {"kind": "CHILDCARE", "account_code": "5501", "name": "Childcare"},
    )

    assert response.status_code == 302
    assert LedgerAccount.objects.get().account_code == "5501"


def test_a_bad_account_code_in_the_admin_is_told_on_the_form(client):
    client.force_login(finance_user())

    response = client.post(
        reverse("admin:billing_ledgeraccount_add"), {"kind": "CHILDCARE", "account_code": "5 5"}
    )

    assert response.status_code == 200
    assert "Account code" in response.content.decode()
    assert not LedgerAccount.objects.exists()


# --- its ways in ------------------------------------------------------------------------
def test_finance_downloads_a_sent_runs_ledger_from_its_page(client, sent_run):
    client.force_login(finance_user())

    page = client.get(reverse("finance:run", args=[sent_run.pk])).content.decode()
    response = client.get(reverse("finance:run-ledger", args=[sent_run.pk, "xero"]))

    assert reverse("finance:run-ledger", args=[sent_run.pk, "gl"]) in page
    assert response["Content-Disposition"] == (
        f'attachment; filename="ledger-run-{sent_run.pk}-xero.csv"'
    )
    assert response.content == ledger.render(ledger.run_entries(sent_run), "xero")


def test_the_month_page_exports_the_month(client, sent_run):
    client.force_login(finance_user())

    response = client.get(reverse("finance:ledger"), {"month": MONTH, "format": "gl"})

    assert response.content == ledger.render(ledger.month_entries(MONTH), "gl")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_a_bad_month_on_the_page_is_told_not_a_500(client):
    client.force_login(finance_user())

    response = client.get(reverse("finance:ledger"), {"month": "2030-13", "format": "gl"})

    assert response.status_code == 200
    assert "Write the month like 2026-09." in response.content.decode()


def test_the_command_writes_a_months_ledger(sent_run, capsys):
    call_command("payment_run", "export", "--month", MONTH, "--format", "gl")

    assert capsys.readouterr().out.encode() == ledger.render(ledger.month_entries(MONTH), "gl")


def test_the_command_refuses_a_bad_month_in_one_line():
    with pytest.raises(CommandError, match="is not a month"):
        call_command("payment_run", "export", "--month", "2030-1", "--format", "xero")
