"""Excel (.xlsx) exports, read with openpyxl in read-only mode through the same column
mapping as a CSV: date and number cells come as the values they are, text as text.

An .xlsx file is a ZIP archive of XML parts: the sizes its parts declare are capped
before openpyxl opens it (a small file must not unpack into gigabytes), and openpyxl reads
the XML through defusedxml."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext

from billing.statements.core import ParsedStatement, StatementError
from billing.statements.mapping import layout
from billing.statements.table import read_rows

MAX_UNPACKED = 50 * 1024 * 1024
MAX_PARTS = 1000


def _row_at(number: int) -> str:
    return gettext("row %(number)d") % {"number": number}


def _unreadable() -> StatementError:
    return StatementError(gettext("this is not a readable Excel (.xlsx) file"))


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception:  # zipfile raises many kinds for a damaged archive
        raise _unreadable() from None
    if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED:
        raise StatementError(
            gettext("the Excel file unpacks to more than %(limit)d MB; it is refused")
            % {"limit": MAX_UNPACKED // (1024 * 1024)}
        )


def _rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            raise StatementError(gettext("the Excel file has no sheet"))
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some exporters write a wrong size; read every row
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except StatementError:
            raise
        except Exception:  # a damaged sheet part, found while reading it
            raise _unreadable() from None
    finally:
        workbook.close()


def read_xlsx(data: bytes, mapping: object) -> list[ParsedStatement]:
    table = layout(mapping)
    _check_archive(data)
    return read_rows(_rows(data), table, _row_at)
