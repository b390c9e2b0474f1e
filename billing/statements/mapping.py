"""The column mapping through which a table (CSV rows, spreadsheet rows) is read.

The mapping is a JSON object kept on the bank account (or one of :data:`PRESETS`). Its
keys:

``date``
    The column of the date (required).
``date_format``
    How the date is written, in ``strptime`` terms; ``%Y-%m-%d`` when absent. A
    spreadsheet's date cells are read as the dates they are.
``amount``
    The column of the signed amount (negative: money out). Or an object naming a column per
    currency, ``{"CAD": "CAD$", "USD": "USD$"}``: a row's amount is in the one that is
    filled, and that is its currency.
``debit`` + ``credit``
    Instead of ``amount``: money out and money in, each a column or a list of columns
    (added). Either may hold a minus sign (``-45,67`` in the debit column is still money
    out); a row filling both is refused.
``sign`` + ``debit_values`` / ``credit_values``
    With ``amount``: the column saying which way the money went (D/C, DR/CR, Debit/Credit,
    Débit/Crédit…); the amount then counts for its size only. ``debit_values`` and
    ``credit_values`` list what the column holds (case and accents ignored); the defaults
    read D, DR, DEBIT, DÉBIT, DBIT, "-" and C, CR, CREDIT, CRÉDIT, CRDT, "+".
``invert_sign``
    ``true`` for exports that write money out as positive (many card exports).
``description``
    A column, or a list of columns joined with a space.
``reference``, ``counterparty``, ``bank_id``
    One column each (``bank_id``: the bank's own id of the transaction, when it gives one).
``currency``
    The column of the row's currency (ISO code). A statement has one currency: a row in
    another is refused, naming it.
``balance``
    The column of the running balance after each row: the opening balance is the first
    row's (in date order; files listed newest first are read the other way) minus its
    amount, the closing one the last row's, and the file must add up from one to the other.
``account``
    The column (or list of columns) naming the account of each row: a file holding several
    accounts gives one statement each. Its digits are the statement's account.
``status`` + ``pending_values``
    The column saying a row is not booked yet; rows whose status is one of
    ``pending_values`` (default: pending, en attente) are skipped, and the statement says
    how many.
``header``
    ``true`` (the default): columns are named by a header row, found as the first row
    holding the ``date`` column's name (case and surrounding spaces ignored), so lines the
    bank writes above it are skipped. ``false``: no header, columns are 0-based numbers.
``delimiter``
    The CSV delimiter, one character; ``,`` when absent.
``decimal_comma``
    ``true`` when amounts are written ``1 234,56``; the default reads ``1,234.56``.
``encoding``
    The CSV's encoding when it is not one the reader recognises by itself (UTF-8 with or
    without BOM, UTF-16 with BOM, then Windows-1252).

Columns are named as the header writes them, or numbered from 0 (``header: false``).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence

from django.utils.translation import gettext

from billing.statements.core import StatementError, shown

KEYS = {
    "date",
    "date_format",
    "amount",
    "debit",
    "credit",
    "sign",
    "debit_values",
    "credit_values",
    "invert_sign",
    "description",
    "reference",
    "counterparty",
    "bank_id",
    "currency",
    "balance",
    "account",
    "status",
    "pending_values",
    "header",
    "delimiter",
    "decimal_comma",
    "encoding",
}
DEBIT_VALUES = ("D", "DR", "DB", "DEBIT", "DBIT", "-")
CREDIT_VALUES = ("C", "CR", "CREDIT", "CRDT", "+")
PENDING_VALUES = ("PENDING", "EN ATTENTE")
HEADER_SEARCH = 100  # rows looked through for the header (the bank's lines above it)

Column = str | int


def folded(text: object) -> str:
    """``text`` compared as a person would: case, accents and spacing ignored."""
    text = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split()).casefold()


def _problem(message: str, **values: object) -> StatementError:
    return StatementError(
        gettext("the column mapping is not usable: %(problem)s") % {"problem": message % values}
    )


@dataclasses.dataclass
class Layout:
    """A checked mapping."""

    date: Column
    date_format: str
    amount: Column | None
    amounts_by_currency: dict[str, Column]
    debit: list[Column]
    credit: list[Column]
    sign: Column | None
    debit_values: set[str]
    credit_values: set[str]
    invert: bool
    description: list[Column]
    reference: Column | None
    counterparty: Column | None
    bank_id: Column | None
    currency: Column | None
    balance: Column | None
    account: list[Column]
    status: Column | None
    pending_values: set[str]
    header: bool
    delimiter: str
    decimal_comma: bool
    encoding: str | None

    def columns(self) -> list[Column]:
        """Every column the layout reads."""
        single = [
            self.date,
            self.amount,
            self.sign,
            self.reference,
            self.counterparty,
            self.bank_id,
            self.currency,
            self.balance,
            self.status,
        ]
        found = [c for c in single if c is not None]
        found += list(self.amounts_by_currency.values()) + self.debit + self.credit
        return found + self.description + self.account


def _column(mapping: dict, key: str, header: bool) -> Column | None:
    value = mapping.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _problem(gettext("%(key)s is not a column"), key=key)
    if isinstance(value, str) and not header and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not 0 <= value < 1000:
        raise _problem(gettext("%(key)s is not a column number"), key=key)
    if not header and not isinstance(value, int):
        raise _problem(
            gettext("%(key)s must be a column number (from 0) in a file without header"),
            key=key,
        )
    return value


def _columns(mapping: dict, key: str, header: bool) -> list[Column]:
    value = mapping.get(key)
    if isinstance(value, list):
        if len(value) > 20:
            raise _problem(gettext("%(key)s lists too many columns"), key=key)
        return [c for i in range(len(value)) if (c := _column({key: value[i]}, key, header))]
    column = _column(mapping, key, header)
    return [] if column is None else [column]


def _values(mapping: dict, key: str, default: Sequence[str]) -> set[str]:
    value = mapping.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _problem(gettext("%(key)s is not a list of values"), key=key)
    return {folded(v) for v in value}


def _flag(mapping: dict, key: str, default: bool = False) -> bool:
    value = mapping.get(key, default)
    if not isinstance(value, bool):
        raise _problem(gettext("%(key)s is not true or false"), key=key)
    return value


def layout(mapping: object) -> Layout:
    """The mapping, checked; :class:`StatementError` saying what is wrong with it."""
    if not isinstance(mapping, dict) or mapping.get("date") in (None, ""):
        raise StatementError(
            gettext("this account has no CSV column mapping (date and amount columns)")
        )
    unknown = sorted(str(key) for key in mapping if key not in KEYS)
    if unknown:
        raise _problem(gettext("unknown key(s) %(keys)s"), keys=", ".join(unknown))
    header = _flag(mapping, "header", True)
    date = _column(mapping, "date", header)
    date_format = mapping.get("date_format", "%Y-%m-%d")
    if not isinstance(date_format, str) or "%" not in date_format:
        raise _problem(gettext("date_format is not a date format such as %%Y-%%m-%%d"))
    delimiter = mapping.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise _problem(gettext("the delimiter is not one character"))
    encoding = mapping.get("encoding")
    if encoding is not None and not isinstance(encoding, str):
        raise _problem(gettext("encoding is not an encoding name"))
    by_currency: dict[str, Column] = {}
    amount = mapping.get("amount")
    if isinstance(amount, dict):
        for currency, column in amount.items():
            if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
                raise _problem(gettext("%(code)s is not a currency code"), code=shown(currency))
            found = _column({"amount": column}, "amount", header)
            if found is not None:
                by_currency[currency.upper()] = found
        amount = None
    else:
        amount = _column(mapping, "amount", header)
    result = Layout(
        date=date,  # type: ignore[arg-type]
        date_format=date_format,
        amount=amount,
        amounts_by_currency=by_currency,
        debit=_columns(mapping, "debit", header),
        credit=_columns(mapping, "credit", header),
        sign=_column(mapping, "sign", header),
        debit_values=_values(mapping, "debit_values", DEBIT_VALUES),
        credit_values=_values(mapping, "credit_values", CREDIT_VALUES),
        invert=_flag(mapping, "invert_sign"),
        description=_columns(mapping, "description", header),
        reference=_column(mapping, "reference", header),
        counterparty=_column(mapping, "counterparty", header),
        bank_id=_column(mapping, "bank_id", header),
        currency=_column(mapping, "currency", header),
        balance=_column(mapping, "balance", header),
        account=_columns(mapping, "account", header),
        status=_column(mapping, "status", header),
        pending_values=_values(mapping, "pending_values", PENDING_VALUES),
        header=header,
        delimiter=delimiter,
        decimal_comma=_flag(mapping, "decimal_comma"),
        encoding=encoding,
    )
    ways = [result.amount is not None or bool(by_currency), bool(result.debit or result.credit)]
    if ways.count(True) != 1:
        raise StatementError(
            gettext("this account has no CSV column mapping (date and amount columns)")
        )
    if result.sign is not None and result.amount is None and not by_currency:
        raise _problem(gettext("sign goes with an amount column"))
    if result.debit_values & result.credit_values:
        raise _problem(gettext("a value is both in debit_values and credit_values"))
    return result
