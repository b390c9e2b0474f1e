"""What every parser returns and the checks every line passes.

A line leaves a parser only through :func:`checked`: an amount that is a number, not zero,
and fits ``max_digits=12, decimal_places=2``; a date in a sane window; text without NUL and
within its column. The messages reach the user, so they are built with ``gettext``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy, ngettext

from avataq.errors import AvataqError
from avataq.money import money


class StatementError(AvataqError, ValueError):
    """The file cannot be imported; the message names the line (or entry) and why."""

    code = "statement"


# What the columns of billing.models.StatementLine hold. The description may be cut (``raw``
# keeps the source); a bank id or a reference cut short could collide with another line's,
# so one that is too long is refused.
MAX_AMOUNT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
EARLIEST = dt.date(1970, 1, 1)
AHEAD = dt.timedelta(days=366)  # at most a year after today, leap or not
LIMITS = {"reference": 200, "counterparty": 200, "bank_id": 100}
LABELS = {
    "description": gettext_lazy("description"),
    "reference": gettext_lazy("reference"),
    "counterparty": gettext_lazy("counterparty"),
    "bank_id": gettext_lazy("bank transaction id"),
    "raw": gettext_lazy("source line"),
}


@dataclass(frozen=True)
class ParsedLine:
    booked_on: dt.date
    amount: Decimal
    description: str
    reference: str
    counterparty: str
    bank_id: str
    raw: str
    # The bank marks the line as a return or reversal of a payment sent: its reason.
    return_reason: str = ""


@dataclass
class ParsedStatement:
    """One account's statement in a file.

    ``account`` is the account as the file names it: digits only (an IBAN keeps its
    letters), "" when the file names none, as most CSVs. ``currency`` is an ISO 4217 code,
    or "" when the file does not say. ``opening``/``closing`` are the balances the file
    prints (None when it prints none); when both are known the lines add up from one to the
    other (:func:`finish` refuses a file where they do not). ``notes`` are remarks for the
    person importing ("3 pending entries skipped"). A statement may hold no line (an
    account without activity in a file that names several)."""

    lines: list[ParsedLine]
    account: str = ""
    currency: str = ""
    opening: Decimal | None = None
    closing: Decimal | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().upper()


def fingerprint(line: ParsedLine) -> str:
    basis = "|".join(
        [
            line.booked_on.isoformat(),
            str(line.amount),
            _normalise(line.description),
            _normalise(line.reference),
            _normalise(line.counterparty),
        ]
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def dedup_keys(lines: list[ParsedLine]) -> list[str]:
    """The bank's id where there is one; else fingerprint plus occurrence in the file.

    A bank id repeated within one statement (some banks reuse a FITID) keeps every line:
    its second occurrence is ``id:X:1``, and so on, so a re-import of the same file still
    finds each line again."""
    seen: dict[str, int] = {}
    keys = []
    for line in lines:
        basis = f"id:{line.bank_id}" if line.bank_id else f"fp:{fingerprint(line)}"
        occurrence = seen.get(basis, 0)
        seen[basis] = occurrence + 1
        if line.bank_id:
            keys.append(basis if occurrence == 0 else f"{basis}:{occurrence}")
        else:
            keys.append(f"{basis}:{occurrence}")
    return keys


# --- messages --------------------------------------------------------------------------------
def shown(text: str, limit: int = 40) -> str:
    """A value quoted in a message: its repr (control characters show), cut to ``limit``."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def at(where: str, problem: object) -> StatementError:
    return StatementError(gettext("%(where)s: %(problem)s") % {"where": where, "problem": problem})


def line_at(number: int) -> str:
    return gettext("line %(number)d") % {"number": number}


def bad_byte(data: bytes, exc: UnicodeDecodeError, problem: str) -> StatementError:
    """``problem`` (about ``%(byte)02X``) at the line of ``data`` holding the byte ``exc``
    could not decode; ``exc.object`` is ``data`` or its end (a parser may decode only the
    body after a header)."""
    offset = len(data) - len(exc.object) + exc.start
    line = line_at(data[:offset].count(b"\n") + 1)
    return at(line, problem % {"byte": exc.object[exc.start]})


def pending_note(count: int) -> str:
    """The note of a statement that skipped ``count`` entries not booked yet."""
    return ngettext(
        "%(count)d pending entry skipped", "%(count)d pending entries skipped", count
    ) % {"count": count}


# --- values ----------------------------------------------------------------------------------
def to_money(value: Decimal, text: str) -> Decimal:
    """``value`` to the cent when it is a number a statement line can hold."""
    if not value.is_finite():
        raise StatementError(gettext("%(text)s is not an amount") % {"text": shown(text)})
    # adjusted() first: quantizing a huge number overflows the decimal context.
    if value and (value.adjusted() >= 10 or abs(money(value)) > MAX_AMOUNT):
        raise StatementError(
            gettext("%(text)s is more than a statement line holds (%(limit)s)")
            % {"text": shown(text), "limit": MAX_AMOUNT}
        )
    return money(value)


def checked(line: ParsedLine, today: dt.date) -> ParsedLine:
    """``line`` when every value fits the column it goes to; else :class:`StatementError`
    saying which does not (the caller names the line)."""
    to_money(line.amount, str(line.amount))
    if line.amount == 0:
        raise StatementError(gettext("the amount is zero"))
    if not EARLIEST <= line.booked_on <= today + AHEAD:
        raise StatementError(
            gettext("the date %(date)s is not between %(earliest)s and %(latest)s")
            % {
                "date": line.booked_on.isoformat(),
                "earliest": EARLIEST.isoformat(),
                "latest": (today + AHEAD).isoformat(),
            }
        )
    for field, label in LABELS.items():
        text = getattr(line, field)
        if "\x00" in text:
            raise StatementError(gettext("the %(field)s contains a NUL byte") % {"field": label})
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise StatementError(
                gettext("the %(field)s contains a character that is not text") % {"field": label}
            ) from None
        if len(text) > LIMITS.get(field, len(text)):
            raise StatementError(
                gettext("the %(field)s is %(length)d characters long; %(limit)d at most fit")
                % {"field": label, "length": len(text), "limit": LIMITS[field]}
            )
    return line


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def distinct_accounts(named: list[tuple[str, str, str]]) -> None:
    """:class:`StatementError` when two accounts the file names differently (``raw``) come
    out as the same account and currency: their lines would end up in one account.
    ``named`` holds (raw, account, currency)."""
    seen: dict[tuple[str, str], str] = {}
    for raw, account, currency in named:
        if not account:
            continue
        first = seen.setdefault((account, currency), raw)
        if first != raw:
            raise StatementError(
                gettext(
                    "the file holds two accounts, %(first)s and %(second)s, that read as the "
                    "same number %(account)s: export each of them on its own"
                )
                % {"first": shown(first), "second": shown(raw), "account": account}
            )


# --- the whole file --------------------------------------------------------------------------
def named(statement: ParsedStatement, index: int, count: int) -> str:
    """How a message names a statement of a file: its account, else its rank."""
    if statement.account:
        return (
            gettext("account %(account)s %(currency)s")
            % {"account": statement.account, "currency": statement.currency}
        ).strip()
    if count > 1:
        return gettext("statement %(number)d") % {"number": index}
    return gettext("the statement")


def finish(statements: list[ParsedStatement]) -> list[ParsedStatement]:
    """``statements``, when the file holds at least one line and each statement adds up
    from its opening balance to its closing one (when the file prints both); else
    :class:`StatementError` saying which does not."""
    if not any(statement.lines for statement in statements):
        notes = "; ".join(note for statement in statements for note in statement.notes)
        if notes:
            raise StatementError(
                gettext("the file holds no transaction to import (%(notes)s)") % {"notes": notes}
            )
        raise StatementError(gettext("the file holds no transaction to import"))
    check_balances(statements)
    return statements


def check_balances(statements: list[ParsedStatement]) -> None:
    """:class:`StatementError` naming the first statement whose lines do not add up from
    its opening balance to its closing one."""
    for index, statement in enumerate(statements, start=1):
        if statement.opening is None or statement.closing is None:
            continue
        total = sum((line.amount for line in statement.lines), Decimal("0.00"))
        reached = statement.opening + total
        if reached != statement.closing:
            raise at(
                named(statement, index, len(statements)),
                gettext(
                    "the balances do not add up: the opening balance %(opening)s plus the "
                    "lines (%(total)s) makes %(reached)s, but the closing balance is "
                    "%(closing)s (a difference of %(difference)s)"
                )
                % {
                    "opening": statement.opening,
                    "total": total,
                    "reached": reached,
                    "closing": statement.closing,
                    "difference": statement.closing - reached,
                },
            )
