"""Statements from a table — CSV rows, spreadsheet rows — read through a checked column
mapping (:mod:`billing.statements.mapping`): the header found below whatever the bank
writes above it, each row's date, amount and texts, one statement per account the rows
name, and the balances a running-balance column gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from billing.statements.amounts import cell_amount, cell_date
from billing.statements.core import (
    ParsedLine,
    ParsedStatement,
    StatementError,
    at,
    checked,
    digits,
    distinct_accounts,
    pending_note,
    shown,
)
from billing.statements.mapping import HEADER_SEARCH, Column, Layout, folded

Row = Sequence[object]


@dataclasses.dataclass
class _Read:
    number: int
    line: ParsedLine
    currency: str
    balance: Decimal | None
    account: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 1234 (a cheque number), not 1234.0
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _blank(row: Row) -> bool:
    return all(_text(cell) == "" for cell in row)


def _repeats(row: Row, header: list[str]) -> bool:
    """Whether ``row`` is the header again (its first cell is compared first: cheap)."""
    return (
        bool(header)
        and len(row) == len(header)
        and folded(_text(row[0])) == header[0]
        and [folded(_text(cell)) for cell in row] == header
    )


def find_header(
    rows: Iterable[tuple[int, Row]], table: Layout, where: Callable[[int], str]
) -> tuple[dict[Column, int], list[str], Iterable[tuple[int, Row]]]:
    """Where each named column is, the header's names, and the rows below the header."""
    rows = iter(rows)
    if not table.header:
        return {}, [], rows
    wanted = folded(table.date) if isinstance(table.date, str) else None
    first = None
    for seen, (number, row) in enumerate(rows):
        if first is None:
            first = number
        if _blank(row):
            continue
        names = [folded(_text(cell)) for cell in row]
        if wanted is None or wanted in names:
            positions: dict[Column, int] = {}
            for index, name in enumerate(names):
                positions.setdefault(name, index)
            needed = [c for c in table.columns() if isinstance(c, str)]
            missing = list(dict.fromkeys(c for c in needed if folded(c) not in positions))
            if missing:
                raise at(
                    where(number),
                    gettext("missing column(s) %(columns)s") % {"columns": ", ".join(missing)},
                )
            located = {c: positions[folded(c)] for c in needed}
            return located, [_text(cell) for cell in row], rows
        if seen >= HEADER_SEARCH:
            break
    if first is None:
        raise StatementError(gettext("the file is empty"))
    raise at(
        where(first),
        gettext("missing column(s) %(columns)s") % {"columns": _text(table.date)},
    )


class _Cells:
    def __init__(self, row: Row, located: dict[Column, int]) -> None:
        self.row, self.located = row, located

    def get(self, column: Column | None) -> object:
        if column is None:
            return None
        index = column if isinstance(column, int) else self.located[column]
        return self.row[index] if index < len(self.row) else None

    def text(self, column: Column | None) -> str:
        return _text(self.get(column))

    def joined(self, columns: list[Column]) -> str:
        return " ".join(filter(None, (self.text(c) for c in columns)))


def _amount(cells: _Cells, table: Layout) -> tuple[Decimal, str]:
    """The row's signed amount, and its currency when the layout says it."""
    comma = table.decimal_comma
    currency = ""
    if table.debit or table.credit:
        out = [cell_amount(cells.get(c), decimal_comma=comma) for c in table.debit]
        debit = sum((abs(v) for v in out if v), Decimal("0.00"))
        credit_total = Decimal("0.00")
        for column in table.credit:
            value = cell_amount(cells.get(column), decimal_comma=comma)
            if value and value < 0:
                # A debit column's minus sign is a presentation; a credit's is not clear.
                raise StatementError(
                    gettext(
                        "the credit %(amount)s is negative: say which way it goes in a sign column"
                    )
                    % {"amount": shown(cells.text(column))}
                )
            credit_total += value or 0
        if debit and credit_total:
            raise StatementError(
                gettext("the row has both a debit (%(debit)s) and a credit (%(credit)s)")
                % {"debit": debit, "credit": credit_total}
            )
        amount = credit_total - debit
    elif table.amounts_by_currency:
        filled = {
            code: value
            for code, column in table.amounts_by_currency.items()
            if (value := cell_amount(cells.get(column), decimal_comma=comma))
        }
        if len(filled) > 1:
            raise StatementError(
                gettext("the row has an amount in several currencies (%(currencies)s)")
                % {"currencies": ", ".join(filled)}
            )
        currency, amount = next(iter(filled.items()), ("", Decimal("0.00")))
    else:
        amount = cell_amount(cells.get(table.amount), decimal_comma=comma) or Decimal("0.00")
    if table.sign is not None and amount:
        way = folded(cells.text(table.sign))
        if way in table.debit_values:
            amount = -abs(amount)
        elif way in table.credit_values:
            if amount < 0:
                raise StatementError(
                    gettext("the amount %(amount)s is negative but its sign column says %(way)s")
                    % {"amount": amount, "way": shown(cells.text(table.sign))}
                )
        else:
            raise StatementError(
                gettext("%(value)s in the sign column is neither a debit nor a credit")
                % {"value": shown(cells.text(table.sign))}
            )
    if table.invert:
        amount = -amount
    return amount, currency


def _currency(cells: _Cells, table: Layout, currency: str) -> str:
    if table.currency is None:
        return currency
    text = cells.text(table.currency).upper()
    if text and not (len(text) == 3 and text.isascii() and text.isalpha()):
        raise StatementError(
            gettext("%(text)s is not a currency code") % {"text": shown(cells.text(table.currency))}
        )
    if text and currency and text != currency:
        raise StatementError(
            gettext("the currency column says %(column)s but the amount is in %(amount)s")
            % {"column": text, "amount": currency}
        )
    return text or currency


def _raw(row: Row, names: list[str], delimiter: str) -> str:
    if names:
        return delimiter.join(
            f"{names[i] if i < len(names) else i}={_text(cell)}" for i, cell in enumerate(row)
        )
    return delimiter.join(_text(cell) for cell in row)


def read_rows(
    rows: Iterable[tuple[int, Row]], table: Layout, where: Callable[[int], str]
) -> list[ParsedStatement]:
    """One statement per account the rows name (one, when the layout maps no account)."""
    today = timezone.localdate()
    located, names, body = find_header(rows, table, where)
    read: list[_Read] = []
    pending: dict[str, int] = {}
    header = [folded(name) for name in names]
    for number, row in body:
        if _blank(row):
            continue
        if _repeats(row, header):
            # Some banks (BMO) repeat the header above each account's rows: with no account
            # column to tell them apart, their lines would end up in one account.
            if not table.account:
                raise at(
                    where(number),
                    gettext(
                        "the header again: the file holds several accounts' transactions "
                        "and no column says which account; export one account at a time"
                    ),
                )
            continue
        cells = _Cells(row, located)
        try:
            account = cells.joined(table.account)
            status = folded(cells.text(table.status)) if table.status is not None else ""
            if status and status in table.pending_values:
                pending[account] = pending.get(account, 0) + 1
                continue
            booked = cell_date(cells.get(table.date), table.date_format)
            amount, currency = _amount(cells, table)
            if amount == 0:
                raise StatementError(gettext("the amount is zero"))
            currency = _currency(cells, table, currency)
            balance = None
            if table.balance is not None:
                balance = cell_amount(cells.get(table.balance), decimal_comma=table.decimal_comma)
            line = ParsedLine(
                booked,
                amount,
                cells.joined(table.description),
                cells.text(table.reference),
                cells.text(table.counterparty),
                cells.text(table.bank_id),
                _raw(row, names, table.delimiter),
            )
            read.append(_Read(number, checked(line, today), currency, balance, account))
        except StatementError as exc:
            raise at(where(number), exc) from None
    return _statements(read, pending, where)


def _statements(
    read: list[_Read], pending: dict[str, int], where: Callable[[int], str]
) -> list[ParsedStatement]:
    groups: dict[str, list[_Read]] = {}
    for item in read:
        groups.setdefault(item.account, []).append(item)
    for account in pending:
        groups.setdefault(account, [])
    statements = []
    for account, items in groups.items():
        currency = next((item.currency for item in items if item.currency), "")
        for item in items:
            if item.currency and item.currency != currency:
                raise at(
                    where(item.number),
                    gettext("the amount is in %(currency)s; the statement is in %(statement)s")
                    % {"currency": item.currency, "statement": currency},
                )
        opening, closing = _balances(items)
        notes = []
        if pending.get(account):
            notes.append(pending_note(pending[account]))
        statements.append(
            ParsedStatement(
                lines=[item.line for item in items],
                account=digits(account),
                currency=currency,
                opening=opening,
                closing=closing,
                notes=notes,
            )
        )
    distinct_accounts(
        [(raw, s.account, s.currency) for raw, s in zip(groups, statements, strict=True)]
    )
    return statements or [ParsedStatement(lines=[])]


def _balances(items: list[_Read]) -> tuple[Decimal | None, Decimal | None]:
    """The opening and closing balances a running-balance column gives, in date order.

    A file may list its rows newest first, and a bank may order the rows of one day as it
    pleases: the opening balance is taken from a row of the first day (its balance minus
    its amount) and the closing one from a row of the last day so that the rows add up
    from one to the other when any such pair does; otherwise from the rows at the ends, and
    the check says by how much the file does not add up."""
    if not items or all(item.balance is None for item in items):
        return None, None
    ordered = list(items)
    if ordered[0].line.booked_on > ordered[-1].line.booked_on or (
        ordered[0].line.booked_on == ordered[-1].line.booked_on and _backwards(ordered)
    ):
        ordered.reverse()
    total = sum((item.line.amount for item in ordered), Decimal("0.00"))
    first_day, last_day = ordered[0].line.booked_on, ordered[-1].line.booked_on
    with_balance = [item for item in ordered if item.balance is not None]
    # From the ends: the first row with a balance, less what came before and with it.
    head = with_balance[0]
    before = sum((item.line.amount for item in ordered[: ordered.index(head) + 1]), Decimal("0.00"))
    tail = with_balance[-1]
    after = sum((item.line.amount for item in ordered[ordered.index(tail) + 1 :]), Decimal("0.00"))
    opening, closing = head.balance - before, tail.balance + after  # type: ignore[operator]
    if opening + total != closing:
        openings = [
            item.balance - item.line.amount  # type: ignore[operator]
            for item in with_balance
            if item.line.booked_on == first_day
        ]
        closings = [item.balance for item in with_balance if item.line.booked_on == last_day]
        for candidate in openings:
            if candidate + total in closings:
                return candidate, candidate + total
    return opening, closing


def _backwards(items: list[_Read]) -> bool:
    """Whether rows of one day chain their balances newest first."""
    pairs = [
        (a, b)
        for a, b in itertools.pairwise(items)
        if a.balance is not None and b.balance is not None
    ]
    if not pairs:
        return False
    forwards = all(b.balance == a.balance + b.line.amount for a, b in pairs)  # type: ignore[operator]
    backwards = all(a.balance == b.balance + a.line.amount for a, b in pairs)  # type: ignore[operator]
    return backwards and not forwards
