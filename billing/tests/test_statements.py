"""Importing bank statements: each format, idempotent re-import, refusals."""

from decimal import Decimal
from pathlib import Path

import pytest

from billing import services
from billing.models import BankAccount, BankStatement, StatementLine
from billing.statements import StatementError

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
DESJARDINS = {
    "date": "Date",
    "date_format": "%Y-%m-%d",
    "description": "Description",
    "reference": "Reference",
    "counterparty": "Payee",
    "debit": "Withdrawal",
    "credit": "Deposit",
}


@pytest.fixture
def account() -> BankAccount:
    return BankAccount.objects.create(
        name="Operations", institution="Desjardins", account_number="4567", csv_mapping=DESJARDINS
    )


def load(account, name: str, source_format: str, data: bytes | None = None):
    content = data if data is not None else (SAMPLES / name).read_bytes()
    return services.statement_import(
        account=account, data=content, filename=name, source_format=source_format
    )


def test_a_csv_export_is_read_through_the_accounts_column_mapping(account):
    statement = load(account, "desjardins.csv", "csv")

    lines = list(StatementLine.objects.order_by("pk"))
    assert [line.amount for line in lines] == [
        Decimal("-1100.00"),
        Decimal("-1650.00"),
        Decimal("-2.50"),
        Decimal("-2.50"),
        Decimal("250000.00"),
    ]
    assert (lines[0].reference, lines[0].counterparty) == ("AVQ-2025F-100001-03", "Annie Qumaluk")
    assert (statement.lines_read, statement.lines_new) == (5, 5)


def test_two_genuine_identical_lines_on_one_day_are_both_kept(account):
    load(account, "desjardins.csv", "csv")

    assert StatementLine.objects.filter(amount=Decimal("-2.50")).count() == 2


def test_importing_the_same_file_twice_adds_no_line(account):
    load(account, "desjardins.csv", "csv")

    again = load(account, "desjardins.csv", "csv")

    assert again.lines_new == 0
    assert StatementLine.objects.count() == 5


def test_an_overlapping_statement_adds_only_its_new_lines(account):
    load(account, "desjardins.csv", "csv")
    text = (SAMPLES / "desjardins.csv").read_text()
    overlapping = (
        text + "2025-09-04,VIREMENT AVQ-2025F-100003-03,AVQ-2025F-100003-03,Eva May,1100.00,\n"
    )

    statement = load(account, "september-full.csv", "csv", overlapping.encode())

    assert statement.lines_new == 1
    assert StatementLine.objects.count() == 6


def test_an_ofx_statement_uses_the_banks_fitid(account):
    statement = load(account, "statement.ofx", "ofx")

    first = StatementLine.objects.order_by("booked_on").first()
    assert (first.bank_id, first.amount, first.counterparty) == (
        "2025090100001",
        Decimal("-1100.00"),
        "ANNIE QUMALUK",
    )
    assert statement.lines_new == 3
    assert load(account, "statement.ofx", "ofx").lines_new == 0


def test_a_camt053_statement_reads_entries_with_their_references(account):
    load(account, "camt053.xml", "camt053")

    debit, credit = StatementLine.objects.order_by("booked_on")
    assert (debit.amount, debit.reference, debit.counterparty, debit.bank_id) == (
        Decimal("-1100.00"),
        "AVQ-2025F-100001-04",
        "Annie Qumaluk",
        "CAMT-0001",
    )
    assert (credit.amount, credit.reference) == (Decimal("250000.00"), "")


def test_an_xml_file_with_an_external_entity_is_refused_and_nothing_kept(account):
    with pytest.raises(StatementError, match="refused"):
        load(account, "xxe.xml", "camt053")

    assert not BankStatement.objects.exists()
    assert not StatementLine.objects.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2025-13-01,X,,Y,1.00,", r"line 3: '2025-13-01' is not a date"),
        ("2025-09-05,X,,Y,abc,", r"line 3: 'abc' is not an amount"),
        ("2025-09-05,X,,Y,,", r"line 3: the amount is zero"),
    ],
)
def test_a_malformed_csv_is_refused_naming_the_line_and_nothing_is_kept(account, row, message):
    data = (
        "Date,Description,Reference,Payee,Withdrawal,Deposit\n2025-09-01,A,,B,5.00,\n" + row + "\n"
    )

    with pytest.raises(StatementError, match=message):
        load(account, "bad.csv", "csv", data.encode())

    assert not StatementLine.objects.exists()


def test_a_csv_missing_a_mapped_column_is_refused(account):
    with pytest.raises(StatementError, match="line 1: missing column"):
        load(account, "bad.csv", "csv", b"Date,Amount\n2025-09-01,5.00\n")


def test_malformed_xml_is_refused_with_its_line(account):
    with pytest.raises(StatementError, match="line 2: not well-formed"):
        load(account, "bad.xml", "camt053", b"<?xml version='1.0'?>\n<Document><oops></Document>")


def test_a_malformed_ofx_is_refused(account):
    with pytest.raises(StatementError, match="not a readable OFX file"):
        load(account, "bad.ofx", "ofx", b"OFXHEADER:100\nnonsense")
