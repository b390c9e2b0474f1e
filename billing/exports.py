"""CSV and Excel exports of the finance reports: headers in the reader's language, text
that a spreadsheet would run as a formula neutralised (an apostrophe in a CSV; a typed
text cell in Excel), Excel columns typed (dates as dates, money as numbers with two
decimals)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse

# What a spreadsheet reads as the start of a formula (OWASP's list: =, +, -, @, tab, CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: object) -> object:
    """A text cell starting like a formula gets a leading apostrophe, which spreadsheets
    show as text (a school named ``=HYPERLINK(…)`` stays a name); numbers and dates pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]


def csv_response(filename: str, sheet: Sheet) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel reads the accents of a UTF-8 CSV only with its BOM
    writer = csv.writer(response)
    writer.writerow([safe_cell(str(h)) for h in sheet.header])
    writer.writerows([[safe_cell(value) for value in row] for row in sheet.rows])
    return response


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    for sheet in sheets:
        out = book.create_sheet(sheet.title[:31])
        bold = Font(bold=True)
        header = []
        for title in sheet.header:
            cell = WriteOnlyCell(out, value=safe_cell(str(title)))
            cell.font = bold
            header.append(cell)
        out.append(header)
        for row in sheet.rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(out, value=value)
                if isinstance(value, str):
                    # openpyxl would store "=…" as a formula: a text cell stays text,
                    # exactly as written (no apostrophe needed in a typed cell).
                    cell.data_type = "s"
                elif isinstance(value, Decimal):
                    cell.number_format = MONEY_FORMAT  # an exact number, shown with cents
                elif isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
                cells.append(cell)
            out.append(cells)
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    book.save(response)
    return response
