"""Amounts and dates as bank exports write them in a CSV or a spreadsheet cell."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from billing.statements.core import StatementError, shown, to_money

# Group separators: a comma (1,234.56), a dot (1.234,56), spaces including the no-break
# ones French typography uses (1 234,56 and 1 234,56), an apostrophe (1'234.56).
_SPACES = " \u00a0\u202f"
_GROUPS = {False: ",'" + _SPACES, True: ".'" + _SPACES}
_SYMBOL = re.compile(r"(?:\b(?:CA|US|C|A)?\$|[$€£¥]|\b[A-Z]{3}\b)")
_MINUS = "-\u2212\u2013"  # hyphen, minus sign, en dash as some exports write it
# What Decimal reads that no bank writes with separators: exponents, NaN, infinities. They
# are read (and refused or kept by to_money) so the message says why.
_SCIENTIFIC = re.compile(
    r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+|s?nan\d*|inf(?:inity)?)", re.IGNORECASE
)


def _plain(text: str, *, decimal_comma: bool) -> str | None:
    """``text`` (unsigned, no symbol) as Decimal reads it, or None when it is not a number
    written with the separators the mapping says."""
    decimal = "," if decimal_comma else "."
    groups = re.escape(_GROUPS[decimal_comma])
    match = re.fullmatch(
        rf"(\d{{1,3}}(?:([{groups}])\d{{3}})(?:\2\d{{3}})*|\d*)(?:{re.escape(decimal)}(\d*))?",
        text,
    )
    if not match or not (match[1] or match[3]):
        return None
    whole = re.sub(rf"[{groups}]", "", match[1]) or "0"
    return f"{whole}.{match[3]}" if match[3] else whole


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """The amount ``text`` writes, or None for an empty cell; :class:`StatementError` for
    anything else. Reads ``-45.67``, ``45.67-``, ``(45.67)``, ``$1,234.56``,
    ``1 234,56 $`` (with ``decimal_comma``), ``CAD 45.67``…"""
    original = text
    text = text.strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = _SYMBOL.sub("", text).strip()
    if text and text[0] in _MINUS + "+":
        negative, text = negative ^ (text[0] != "+"), text[1:].strip()
    elif text and text[-1] in _MINUS + "+":
        negative, text = negative ^ (text[-1] != "+"), text[:-1].strip()
    text = _SYMBOL.sub("", text).strip()  # "-$45.67": the sign came first
    plain = _plain(text, decimal_comma=decimal_comma)
    if plain is None and _SCIENTIFIC.fullmatch(text):
        plain = text
    if plain is None:
        if _plain(text, decimal_comma=not decimal_comma) is not None:
            expected = (
                gettext("a decimal comma (45,67)")
                if decimal_comma
                else gettext("a decimal point (45.67)")
            )
            raise StatementError(
                gettext("%(text)s is not an amount written with %(expected)s")
                % {"text": shown(original), "expected": expected}
            )
        raise StatementError(gettext("%(text)s is not an amount") % {"text": shown(original)})
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise StatementError(
            gettext("%(text)s is not an amount") % {"text": shown(original)}
        ) from None
    value = to_money(value, original)
    return -value if negative else value


def cell_amount(value: object, *, decimal_comma: bool = False) -> Decimal | None:
    """A cell's amount: a spreadsheet's number as it is, text as :func:`parse_amount`."""
    if value is None:
        return None
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise StatementError(gettext("%(text)s is not an amount") % {"text": shown(value)})
    if isinstance(value, int | Decimal):
        return to_money(Decimal(value), str(value))
    if isinstance(value, float):
        # repr is the shortest text that is this float: 45.67, not 45.6700000000000017.
        try:
            return to_money(Decimal(repr(value)), repr(value))
        except InvalidOperation:
            raise StatementError(
                gettext("%(text)s is not an amount") % {"text": shown(repr(value))}
            ) from None
    return parse_amount(str(value), decimal_comma=decimal_comma)


def cell_date(value: object, date_format: str) -> dt.date:
    """A cell's date: a spreadsheet's date as it is, text read with ``date_format``."""
    if isinstance(value, dt.datetime):
        return value.date()  # a spreadsheet's datetime has no time zone: the date it shows
    if isinstance(value, dt.date):
        return value
    text = "" if value is None else str(value).strip()
    if isinstance(value, str):
        try:
            # A calendar date: no time, so no time zone to attach.
            return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007
        except ValueError:
            pass
    raise StatementError(
        gettext("%(text)s is not a date (%(format)s)")
        % {"text": shown(text), "format": date_format}
    )
