"""Exports in XLSX: the same records as the CSV exports (``exports.py``), written the way
Odoo 16's ``/web/export/xlsx`` writes them — one sheet, the field names in the first
row, dates and datetimes as date cells (``yyyy-mm-dd``, ``yyyy-mm-dd hh:mm:ss``, in UTC),
numbers as number cells, booleans as boolean cells, False as an empty cell."""

import datetime as dt
import re
from pathlib import Path

import pytest

from avataq.odoo.tests.exports import Table, import_odoo, odoo_exports, write_exports
from enrollment.models import Enrollment
from scholarships.models import Student

openpyxl = pytest.importorskip("openpyxl")

pytestmark = pytest.mark.django_db

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _cell(text: str) -> object:
    if text == "":
        return None
    if text == "True":
        return True
    if DATETIME.match(text):
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 (UTC, naive as Odoo writes it)
    if DATE.match(text):
        return dt.date.fromisoformat(text)
    if DECIMAL.match(text):
        return float(text)
    return text


def write_xlsx(folder: Path, tables: dict[str, Table] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table in (tables or odoo_exports()).values():
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Sheet1"
        sheet.append(table.header)
        for row in table.rows:
            sheet.append([_cell(text) for text in row])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
        book.save(folder / table.filename.replace(".csv", ".xlsx"))
    return folder


def counts_and_money(output: str) -> list[str]:
    """The per-model counts and the money table: what does not name a file."""
    kept = [line for line in output.splitlines() if re.search(r"\s\d+(\s+\d+){5}$", line)]
    return kept + output[output.index("Money as the source states it") :].splitlines()


def test_an_xlsx_export_reads_as_the_csv_export_does(tmp_path):
    _code, from_csv = import_odoo(str(write_exports(tmp_path / "csv")), "--dry-run")
    _code, from_xlsx = import_odoo(str(write_xlsx(tmp_path / "xlsx")), "--dry-run")
    assert counts_and_money(from_xlsx) == counts_and_money(from_csv)
    assert "Student (avataq.student).xlsx" in from_xlsx


def test_an_xlsx_datetime_cell_is_read_as_utc(tmp_path):
    import_odoo(str(write_xlsx(tmp_path / "xlsx")))
    enrollment = Enrollment.objects.get(student__status_no="10234", session__term="fall")
    assert enrollment.submitted_at == dt.datetime(2024, 6, 1, 3, 30, tzinfo=dt.UTC)


def test_an_xlsx_date_cell_is_read_as_that_day(tmp_path):
    import_odoo(str(write_xlsx(tmp_path / "xlsx")))
    assert Student.objects.get(status_no="10234").date_of_birth == dt.date(2003, 2, 14)


def test_an_empty_boolean_cell_in_xlsx_imports_the_record_archived(tmp_path):
    import_odoo(str(write_xlsx(tmp_path / "xlsx")))
    assert not Student.objects.get(status_no="30789").is_active
    assert Student.objects.get(status_no="10234").is_active


def test_a_refusal_in_an_xlsx_export_names_the_file_and_row(tmp_path):
    code, output = import_odoo(str(write_xlsx(tmp_path / "xlsx")), "--dry-run")
    assert code == 1
    # A multi-line note is one cell: the refused student is on the sheet's fifth row.
    assert "Student (avataq.student).xlsx:5: the student has no status number" in output
