"""Importing bank statements: each format, idempotent re-import, refusals."""

import datetime as dt
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


# --- the boundary: what a parser returns fits the columns, or the file is refused -----------
CSV_HEADER = "Date,Description,Reference,Payee,Withdrawal,Deposit\n"


def csv_row(
    date: str = "2025-09-05", description: str = "X", reference: str = "", amount: str = "1.00"
) -> bytes:
    return (
        CSV_HEADER + f"2025-09-01,A,,B,5.00,\n{date},{description},{reference},Y,,{amount}\n"
    ).encode()


def refused(account, data: bytes, source_format: str = "csv", message: str = "") -> None:
    with pytest.raises(StatementError, match=message):
        load(account, f"bad.{source_format}", source_format, data)
    assert not BankStatement.objects.exists()
    assert not StatementLine.objects.exists()


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_csv_amount_that_is_not_a_number_is_refused_naming_the_line(account, amount):
    refused(account, csv_row(amount=amount), message=rf"line 3: '{amount}' is not an amount")


@pytest.mark.parametrize("amount", ["1e15", "10000000000.00", "9999999999.995", "1e999999"])
def test_a_csv_amount_beyond_what_a_line_holds_is_refused_naming_the_line(account, amount):
    refused(account, csv_row(amount=amount), message=r"line 3: .* is more than a statement line")


def test_the_largest_amount_a_line_holds_is_kept(account):
    load(account, "big.csv", "csv", csv_row(amount="9999999999.99"))

    assert StatementLine.objects.filter(amount=Decimal("9999999999.99")).exists()


def test_a_nul_byte_in_a_csv_is_refused_naming_the_line(account):
    refused(
        account, csv_row(description="A\x00B"), message="line 3: the description contains a NUL"
    )


def test_a_byte_that_is_neither_utf8_nor_windows_1252_is_refused_naming_the_line(account):
    data = csv_row(description="ok").replace(b"ok", b"o\x81k")

    refused(account, data, message="line 3: byte 0x81 is not UTF-8 or Windows-1252 text")


def test_a_windows_1252_export_is_still_read(account):
    load(account, "old.csv", "csv", csv_row(description="Frais été").decode().encode("cp1252"))

    assert StatementLine.objects.filter(description="Frais été").exists()


def test_a_csv_cell_over_the_csv_modules_field_limit_is_refused_naming_the_line(account):
    refused(account, csv_row(description="x" * 131_073), message="line 3: not a readable CSV line")


def test_a_bank_id_longer_than_its_column_is_refused_naming_the_line(account):
    account.csv_mapping = {"date": "Date", "amount": "Amount", "bank_id": "Id"}
    account.save()
    data = f"Date,Amount,Id\n2025-09-01,5.00,1\n2025-09-02,6.00,{'9' * 300}\n".encode()

    refused(account, data, message="line 3: the bank transaction id is 300")


def test_a_reference_longer_than_its_column_is_refused_not_cut(account):
    refused(
        account, csv_row(reference="R" * 201), message="line 3: the reference is 201 characters"
    )


def test_a_description_longer_than_its_column_is_cut_and_the_source_kept(account):
    load(account, "long.csv", "csv", csv_row(description="D" * 700))

    line = StatementLine.objects.get(amount=Decimal("1.00"))
    assert len(line.description) == 500
    assert "D" * 700 in line.raw


@pytest.mark.parametrize("date", ["0001-01-01", "1969-12-31", "9999-12-31"])
def test_a_date_outside_the_sane_window_is_refused_naming_the_line(account, date):
    refused(account, csv_row(date=date), message=f"line 3: the date {date} is not between")


def test_a_date_up_to_a_year_ahead_is_kept(account):
    from django.utils import timezone

    ahead = (timezone.localdate() + dt.timedelta(days=365)).isoformat()

    load(account, "ahead.csv", "csv", csv_row(date=ahead))

    assert StatementLine.objects.filter(booked_on=ahead).exists()


def test_the_parsers_limits_are_the_columns_lengths():
    from billing import statements

    for field, limit in statements.LIMITS.items():
        assert StatementLine._meta.get_field(field).max_length == limit
    assert StatementLine._meta.get_field("dedup_key").max_length >= len("id:") + 100
    amount = StatementLine._meta.get_field("amount")
    whole_digits = amount.max_digits - amount.decimal_places
    largest = Decimal(10) ** whole_digits - Decimal(1).scaleb(-amount.decimal_places)
    assert largest == statements.MAX_AMOUNT


def ofx(amount: str = "-1100.00", date: str = "20250901", fitid: str = "2025090100001") -> bytes:
    text = (SAMPLES / "statement.ofx").read_bytes()
    return (
        text.replace(b"<TRNAMT>-1100.00", f"<TRNAMT>{amount}".encode())
        .replace(b"<DTPOSTED>20250901", f"<DTPOSTED>{date}".encode())
        .replace(b"2025090100001", fitid.encode())
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [("NaN", "is not an amount"), ("1e15", "is more than"), ("0", "the amount is zero")],
)
def test_an_ofx_amount_that_does_not_fit_is_refused_naming_the_transaction(
    account, amount, message
):
    refused(account, ofx(amount=amount), "ofx", f"transaction 1: .*{message}")


def test_an_ofx_date_in_year_one_is_refused_naming_the_transaction(account):
    refused(account, ofx(date="00010101"), "ofx", "transaction 1: the date 0001-01-01")


def test_an_ofx_fitid_longer_than_its_column_is_refused(account):
    refused(account, ofx(fitid="F" * 150), "ofx", "transaction 1: the bank transaction id is 150")


def test_a_nul_byte_in_an_ofx_name_is_refused_naming_the_transaction(account):
    data = ofx().replace(b"ANNIE QUMALUK", b"ANNIE\x00QUMALUK")

    refused(account, data, "ofx", "transaction 1: the description contains a NUL byte")


def test_an_ofx_byte_outside_its_declared_charset_is_refused_naming_the_line(account):
    data = ofx().replace(b"ANNIE QUMALUK", b"ANNIE \x81")

    refused(account, data, "ofx", "line 16: byte 0x81 is not in the character set")


def camt(amount: str = "1100.00", date: str = "2025-10-01", ref: str = "CAMT-0001") -> bytes:
    text = (SAMPLES / "camt053.xml").read_text()
    return (
        text.replace('<Amt Ccy="CAD">1100.00', f'<Amt Ccy="CAD">{amount}')
        .replace("<BookgDt><Dt>2025-10-01", f"<BookgDt><Dt>{date}")
        .replace("CAMT-0001", ref)
        .encode()
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("NaN", "'NaN' is not an amount"),
        ("Infinity", "'Infinity' is not an amount"),
        ("1e15", "'1e15' is more than"),
        ("0.00", "the amount is zero"),
        ("-5.00", "the amount '-5.00' is negative"),
    ],
)
def test_a_camt053_amount_that_does_not_fit_is_refused_naming_the_entry(account, amount, message):
    refused(account, camt(amount=amount), "camt053", f"entry 1: {message}")


def test_a_camt053_date_in_year_one_is_refused_naming_the_entry(account):
    refused(account, camt(date="0001-01-01"), "camt053", "entry 1: the date 0001-01-01")


def test_a_camt053_bank_reference_longer_than_its_column_is_refused(account):
    refused(account, camt(ref="R" * 300), "camt053", "entry 1: the bank transaction id is 300")


def test_a_camt053_in_an_encoding_python_cannot_read_is_refused(account):
    data = camt().replace(b'encoding="UTF-8"', b'encoding="bogus"')

    refused(account, data, "camt053", "an encoding that cannot be read")


@pytest.mark.parametrize("bad", [b"\x00", b"&#0;", b"\xff"])
def test_a_nul_or_invalid_byte_in_a_camt053_is_refused_naming_the_line(account, bad):
    data = camt().replace(b"Allocation octobre", b"Allocation" + bad)

    refused(account, data, "camt053", "line 16: not well-formed XML")


def test_a_camt053_in_utf16_is_read_nul_bytes_and_all(account):
    data = camt().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    load(account, "utf16.xml", "camt053", data)

    assert StatementLine.objects.count() == 2
