"""Reading bank statements: CSV and Excel exports (through a column mapping per account,
or a bank's preset), OFX/QFX, ISO 20022 camt.053 (XML, or a ZIP of them). Parsers are pure:
bytes in, statements out, or :class:`StatementError` naming the line and the reason —
nothing of a malformed file is kept.

:func:`read_file` is the entry point: one :class:`ParsedStatement` per account the file
holds, each checked against the balances the file prints. The modules:

- ``core``: the line and statement types, the checks every line passes, the messages;
- ``sniff``: what a file looks like, to refuse one sent under the wrong format;
- ``mapping`` (its docstring lists the mapping keys), ``table``, ``amounts``: tables
  read through a column mapping; ``delimited`` and ``excel`` turn a CSV or an .xlsx
  file into such a table;
- ``presets``: the banks' CSV layouts;
- ``ofx``, ``camt``: the banks' own formats."""

from __future__ import annotations

from django.utils.translation import gettext

from billing.statements.camt import read_camt053
from billing.statements.core import (
    LABELS,
    LIMITS,
    MAX_AMOUNT,
    ParsedLine,
    ParsedStatement,
    StatementError,
    dedup_keys,
    fingerprint,
    finish,
)
from billing.statements.delimited import read_csv
from billing.statements.excel import read_xlsx
from billing.statements.mapping import layout
from billing.statements.ofx import read_ofx
from billing.statements.presets import PRESETS, Preset
from billing.statements.sniff import refuse_unless, sniff

FORMATS = ("csv", "xlsx", "ofx", "camt053")

__all__ = [
    "FORMATS",
    "LABELS",
    "LIMITS",
    "MAX_AMOUNT",
    "PARSERS",
    "PRESETS",
    "ParsedLine",
    "ParsedStatement",
    "Preset",
    "StatementError",
    "dedup_keys",
    "fingerprint",
    "layout",
    "parse_camt053",
    "parse_csv",
    "parse_ofx",
    "parse_xlsx",
    "read_file",
]


def read_file(data: bytes, *, source_format: str, mapping: dict) -> list[ParsedStatement]:
    """Every statement in the file, or :class:`StatementError` naming what is wrong.

    ``source_format`` is one of :data:`FORMATS`; ``mapping`` (see
    :mod:`billing.statements.mapping`) is read for CSV and XLSX only."""
    if source_format not in FORMATS:
        raise StatementError(
            gettext("unknown format %(format)s") % {"format": repr(str(source_format)[:20])}
        )
    data = bytes(data)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise StatementError(gettext("the file is empty"))
    refuse_unless(sniff(data), source_format, data)
    if source_format == "csv":
        statements = read_csv(data, mapping)
    elif source_format == "xlsx":
        statements = read_xlsx(data, mapping)
    elif source_format == "ofx":
        statements = read_ofx(data)
    else:
        statements = read_camt053(data)
    return finish(statements)


def _lines(data: bytes, source_format: str, mapping: dict) -> list[ParsedLine]:
    """The lines of a file holding one statement. A file holding several accounts' (or
    currencies') statements is refused: their lines must not be merged into one account —
    read it with :func:`read_file`."""
    statements = read_file(data, source_format=source_format, mapping=mapping)
    if len(statements) > 1:
        raise StatementError(
            gettext(
                "this file holds the statements of %(count)d accounts; they cannot be "
                "imported into one"
            )
            % {"count": len(statements)}
        )
    return statements[0].lines


def parse_csv(data: bytes, mapping: dict) -> list[ParsedLine]:
    return _lines(data, "csv", mapping)


def parse_xlsx(data: bytes, mapping: dict) -> list[ParsedLine]:
    return _lines(data, "xlsx", mapping)


def parse_ofx(data: bytes) -> list[ParsedLine]:
    return _lines(data, "ofx", {})


def parse_camt053(data: bytes) -> list[ParsedLine]:
    return _lines(data, "camt053", {})


PARSERS = {"ofx": parse_ofx, "camt053": parse_camt053, "xlsx": parse_xlsx}
