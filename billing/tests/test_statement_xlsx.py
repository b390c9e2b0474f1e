"""Excel (.xlsx) statements, generated here with openpyxl: read through the same column
mapping as a CSV, their date and number cells as the values they are, their rows named by
their row numbers; a damaged or oversized workbook is refused."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from billing.statements import PRESETS, StatementError, read_file

MAPPING = {
    "date": "Date",
    "description": "Description",
    "debit": "Débit",
    "credit": "Crédit",
    "balance": "Solde",
    "decimal_comma": True,
}


def workbook(*rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


STATEMENT = workbook(
    ["Relevé des opérations — compte 0123456"],
    [],
    ["  DATE ", "Description", "Débit", "Crédit", "Solde"],
    # Excel's date-times have no time zone: the date is the one the cell shows.
    [dt.datetime.combine(dt.date(2025, 9, 2), dt.time(21, 30)), "Virement", 1100, None, 8900],
    [dt.date(2025, 9, 3), "Subvention", None, "25 000,00", 33900.0],
    ["2025-09-30", "Frais", 2.5, None, "33 897,50"],
)


def test_an_excel_statement_reads_its_typed_and_its_text_cells():
    (statement,) = read_file(STATEMENT, source_format="xlsx", mapping=MAPPING)

    assert [(line.booked_on, line.amount, line.description) for line in statement.lines] == [
        (dt.date(2025, 9, 2), Decimal("-1100.00"), "Virement"),
        (dt.date(2025, 9, 3), Decimal("25000.00"), "Subvention"),
        (dt.date(2025, 9, 30), Decimal("-2.50"), "Frais"),
    ]
    assert (statement.opening, statement.closing) == (Decimal("10000.00"), Decimal("33897.50"))


def test_a_refused_excel_cell_is_named_by_its_row():
    data = workbook(["Date", "Description", "Amount"], [dt.date(2025, 9, 2), "X", "abc"])

    with pytest.raises(StatementError, match=r"^row 2: 'abc' is not an amount$"):
        read_file(data, source_format="xlsx", mapping={"date": "Date", "amount": "Amount"})


def test_an_excel_date_cell_holding_a_bare_number_is_refused_not_guessed():
    data = workbook(["Date", "Amount"], [45915, 12.5])

    with pytest.raises(StatementError, match=r"^row 2: '45915' is not a date \(%Y-%m-%d\)$"):
        read_file(data, source_format="xlsx", mapping={"date": "Date", "amount": "Amount"})


def test_an_excel_float_is_read_as_the_amount_it_shows():
    data = workbook(
        ["Date", "Amount"], [dt.date(2025, 9, 2), 0.1 + 0.2], [dt.date(2025, 9, 3), 45.67]
    )

    (statement,) = read_file(
        data, source_format="xlsx", mapping={"date": "Date", "amount": "Amount"}
    )

    assert [line.amount for line in statement.lines] == [Decimal("0.30"), Decimal("45.67")]


def test_an_excel_export_without_header_is_read_by_column_numbers():
    data = workbook([dt.date(2025, 9, 2), "Frais", -3.5], [dt.date(2025, 9, 3), "Dépôt", 100])
    mapping = {"header": False, "date": 0, "description": 1, "amount": 2}

    (statement,) = read_file(data, source_format="xlsx", mapping=mapping)

    assert [line.amount for line in statement.lines] == [Decimal("-3.50"), Decimal("100.00")]


def test_a_banks_preset_reads_its_excel_export_too():
    data = workbook(
        [
            "Account Type",
            "Account Number",
            "Transaction Date",
            "Cheque Number",
            "Description 1",
            "Description 2",
            "CAD$",
            "USD$",
        ],
        ["Chequing", "05432-1234567", "9/2/2025", None, "DEPOSIT", "GOUV", 25000, None],
        ["US Chequing", "05432-7654321", "9/4/2025", None, "WIRE", None, None, 1200],
    )

    statements = read_file(data, source_format="xlsx", mapping=PRESETS["rbc"].mapping)

    assert [(s.account, s.currency, s.lines[0].amount) for s in statements] == [
        ("054321234567", "CAD", Decimal("25000.00")),
        ("054327654321", "USD", Decimal("1200.00")),
    ]


def test_a_damaged_excel_file_is_refused():
    with pytest.raises(StatementError, match=r"^this is not a readable Excel \(\.xlsx\) file$"):
        read_file(STATEMENT[: len(STATEMENT) // 2], source_format="xlsx", mapping=MAPPING)


def rezipped(data: bytes, change, compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


def test_an_excel_file_declaring_xml_entities_is_refused():
    def with_entity(name: str, content: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return content
        return re.sub(
            rb"^(<\?xml[^>]*\?>)?",
            rb'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY boom "boom">]>',
            content,
            count=1,
        )

    with pytest.raises(StatementError, match=r"^this is not a readable Excel \(\.xlsx\) file$"):
        read_file(rezipped(STATEMENT, with_entity), source_format="xlsx", mapping=MAPPING)


def test_an_excel_file_that_unpacks_to_gigabytes_is_refused_before_it_is_read():
    def padded(name: str, content: bytes) -> bytes:
        return content + b" " * (51 * 1024 * 1024) if name == "xl/styles.xml" else content

    data = rezipped(STATEMENT, padded, zipfile.ZIP_DEFLATED)

    assert len(data) < 1_000_000
    with pytest.raises(StatementError, match=r"^the Excel file unpacks to more than 50 MB"):
        read_file(data, source_format="xlsx", mapping=MAPPING)
