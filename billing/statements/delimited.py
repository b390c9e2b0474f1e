"""CSV exports: bytes → text → rows, for :mod:`billing.statements.mapping` to read."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext

from billing.statements.core import ParsedStatement, StatementError, at, bad_byte, line_at
from billing.statements.mapping import Layout, layout
from billing.statements.table import read_rows


def _unreadable(exc: Exception) -> str:
    return gettext("not a readable CSV line (%(reason)s)") % {"reason": exc}


def decode(data: bytes, encoding: str | None = None) -> str:
    """The text of a CSV export: in ``encoding`` when the mapping names one; else UTF-16
    when it starts with its byte-order mark, else UTF-8 (with or without BOM), else
    Windows-1252 (Canadian banks' older exports)."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise bad_byte(
                data, exc, gettext("byte 0x%(byte)02X is not in the encoding the mapping names")
            ) from None
        except (LookupError, ValueError):  # no such codec, or not a text one
            raise StatementError(
                gettext("the mapping's encoding %(encoding)s is not one Python knows")
                % {"encoding": shown_name(encoding)}
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError:
            raise StatementError(
                gettext("the file starts as UTF-16 text but is not UTF-16 text")
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise bad_byte(
            data, exc, gettext("byte 0x%(byte)02X is not UTF-8 or Windows-1252 text")
        ) from None


def shown_name(name: str) -> str:
    return repr(name[:40])


def rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each row with the number of the line it ends on; a line the csv module cannot read
    (a cell over its size limit…) is refused naming it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise at(line_at(reader.line_num), _unreadable(exc)) from None
        yield reader.line_num, row


def read_csv(data: bytes, mapping: object) -> list[ParsedStatement]:
    table: Layout = layout(mapping)
    text = decode(data, table.encoding)
    return read_rows(rows(text, table.delimiter), table, line_at)
