"""The accounting export: what payment runs, bank returns and write-offs mean for the
general ledger, per run or per calendar month, as a documented CSV or as Xero's
manual-journal import.

Bookings (each journal balances):

- a **sent run**, on its payment date: each payment debits the account of its kind
  (living allowance, tuition, travel…), one line credits the bank account for the run's
  total (the bank debits the batch at once);
- a **return** (a payment the bank brought back), on the statement line's date: the bank
  account is debited, the payment's kind credited;
- a **write-off** of a statement line's difference, on the line's date: the write-off
  account against the bank account (money out: the write-off is debited).

Account codes: a :class:`~billing.models.LedgerAccount` row per kind (edited by Finance
in the admin) or else :data:`DEFAULT_ACCOUNTS`. A living-allowance supplement
(dependants, housing) uses the row of its own code, else the living allowance's.

**General-ledger CSV** (``gl``): UTF-8, comma-separated, CRLF line ends, a header row, then
one row per ledger line::

    date,account_code,description,debit,credit,reference
    2026-09-01,5100,Living allowance 2026-09 - Qumaq Annie (12345),1250.00,,AVQ-2025F-12345-02
    2026-09-01,1010,Payment run 7,,1250.00,RUN-7

``date`` is ISO 8601; ``debit`` and ``credit`` are positive with two decimals, one of them
empty; ``reference`` is the payment's reference (``RUN-<id>`` for a run's bank line,
``LINE-<id>`` for a write-off). Descriptions are in English whatever the reader's
language, so that a file never depends on who exports it.

**Xero** (``xero``): the columns of Xero's manual-journal import template
(``*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,
TrackingOption1,TrackingName2,TrackingOption2``); one journal per narration and date,
dates as ``dd/mm/yyyy``, amounts signed (a debit positive, a credit negative), the tax
rate ``Tax Exempt``, the reference at the start of the description. Xero takes at most
300 lines per file: a month of many payments is imported in several files.

The same run or month exported twice gives the same bytes: rows in a fixed order, no
timestamp, no dependence on the active language.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from avataq import locks
from avataq.money import ZERO
from billing.exports import safe_cell
from billing.models import LedgerAccount, Match, PaymentRun, PaymentRunItem
from billing.payments.errors import PaymentError
from billing.rules import KINDS

BANK, WRITE_OFF = "BANK", "WRITE_OFF"
DEFAULT_ACCOUNTS = {
    "LIVING": "5100",
    "TUITION": "5200",
    "TRAVEL": "5300",
    "BOOKS": "5400",
    "CHILDCARE": "5500",
    "ADJ": "5900",
    WRITE_OFF: "5950",
    BANK: "1010",
}
# A code without its own row uses its family's (a supplement of the living allowance).
FAMILY = {"DEPENDANTS": "LIVING", "HOUSING": "LIVING"}
# The kinds Finance may give an account to (the admin's choices), in the order shown.
LEDGER_KINDS = {
    **KINDS,
    WRITE_OFF: gettext_noop("Write-offs"),
    BANK: gettext_noop("Bank account the payments leave from"),
}
FORMATS = ("gl", "xero")
GL_HEADER = ["date", "account_code", "description", "debit", "credit", "reference"]
XERO_HEADER = [
    "*Narration",
    "*Date",
    "Description",
    "*AccountCode",
    "*TaxRate",
    "*Amount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
]
XERO_TAX_RATE = "Tax Exempt"


class ExportError(PaymentError):
    """An export that cannot be made (a month that is not one, a run not sent)."""

    code = "ledger_export"


@dataclass(frozen=True)
class Entry:
    """One ledger line; ``journal`` names the balanced group it belongs to."""

    journal: str
    date: dt.date
    account: str
    description: str
    debit: Decimal
    credit: Decimal
    reference: str


ACCOUNT_CODE = re.compile(r"[A-Za-z0-9.\-]{1,20}")


def account_code_problem(code: str) -> str:
    return gettext("Account code: up to 20 letters, digits, dots or dashes, not %(code)r.") % {
        "code": code
    }


@transaction.atomic
def ledger_account_set(
    *, kind: str, account_code: str, name: str = "", by: AbstractBaseUser | None
) -> LedgerAccount:
    """Book a kind of payment (or write-offs, or the bank) to ``account_code`` from now
    on. ``by`` is who asked (a ledger account keeps no history of its own)."""
    if kind not in LEDGER_KINDS:
        raise ExportError(gettext("Unknown kind of payment %(kind)r.") % {"kind": kind})
    account_code = (account_code or "").strip()
    if not ACCOUNT_CODE.fullmatch(account_code):
        raise ExportError(account_code_problem(account_code))
    (found,) = locks.lock(LedgerAccount.objects.filter(kind=kind))
    account = found[0] if found else LedgerAccount(kind=kind)
    account.account_code, account.name = account_code, (name or "").strip()[:100]
    account.full_clean()
    account.save()
    return account


def account_codes() -> dict[str, str]:
    """Every kind's account code: Finance's rows over the defaults."""
    codes = dict(DEFAULT_ACCOUNTS)
    codes.update(dict(LedgerAccount.objects.values_list("kind", "account_code")))
    return codes


def account_for(code: str, codes: dict[str, str]) -> str:
    if code in codes:
        return codes[code]
    family = FAMILY.get(code)
    if family and family in codes:
        return codes[family]
    return codes.get("ADJ", DEFAULT_ACCOUNTS["ADJ"])


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``YYYY-MM``, or :class:`ExportError` saying so."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise ExportError(
            gettext("%(month)r is not a month: write it like 2026-09.") % {"month": text}
        )
    year, month = int(match[1]), int(match[2])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _payee(item: PaymentRunItem) -> str:
    payment = item.payment
    if payment.payee == "school" and payment.school is not None:
        return payment.school.name
    student = payment.enrollment.student
    return f"{student.last_name} {student.first_name} ({student.status_no})"


def _kind(code: str) -> str:
    return KINDS.get(code, code)  # English: the file never depends on the reader


def _run_entries(run: PaymentRun, codes: dict[str, str]) -> list[Entry]:
    """A sent run's journal: every payment it sent (a payment returned later included:
    it was paid out; its return is booked when the bank brings it back)."""
    journal = f"Payment run {run.pk}"
    items = run.items.select_related("payment__school", "payment__enrollment__student").order_by(
        "payment__reference", "pk"
    )
    entries, total = [], ZERO
    for item in items:
        payment = item.payment
        total += item.amount
        entries.append(
            Entry(
                journal=journal,
                date=run.execution_date,
                account=account_for(payment.code, codes),
                description=f"{_kind(payment.code)} {payment.period:%Y-%m} - {_payee(item)}",
                debit=item.amount,
                credit=ZERO,
                reference=payment.reference,
            )
        )
    if entries:
        entries.append(
            Entry(
                journal=journal,
                date=run.execution_date,
                account=codes[BANK],
                description=journal,
                debit=ZERO,
                credit=total,
                reference=f"RUN-{run.pk}",
            )
        )
    return entries


def _live_matches(kind: str, first: dt.date, last: dt.date):
    return (
        Match.objects.filter(
            kind=kind, undone_at__isnull=True, line__booked_on__range=(first, last)
        )
        .select_related("line", "payment")
        .order_by("line__booked_on", "line_id", "pk")
    )


def _return_entries(first: dt.date, last: dt.date, codes: dict[str, str]) -> list[Entry]:
    entries = []
    for match in _live_matches(Match.Kind.RETURN, first, last):
        payment, day = match.payment, match.line.booked_on
        journal = f"Returned payment {payment.reference}"
        description = f"Returned by the bank: {_kind(payment.code)} ({match.reason[:100]})"
        entries += [
            Entry(journal, day, codes[BANK], description, match.amount, ZERO, payment.reference),
            Entry(
                journal,
                day,
                account_for(payment.code, codes),
                description,
                ZERO,
                match.amount,
                payment.reference,
            ),
        ]
    return entries


def _write_off_entries(first: dt.date, last: dt.date, codes: dict[str, str]) -> list[Entry]:
    entries = []
    for match in _live_matches(Match.Kind.WRITE_OFF, first, last):
        line, day = match.line, match.line.booked_on
        reference = f"LINE-{line.pk}"
        journal = f"Write-off {reference}"
        description = f"Write-off: {match.reason[:150]}"
        lost, bank = (
            (codes[WRITE_OFF], codes[BANK]) if line.amount < 0 else (codes[BANK], codes[WRITE_OFF])
        )
        entries += [
            Entry(journal, day, lost, description, match.amount, ZERO, reference),
            Entry(journal, day, bank, description, ZERO, match.amount, reference),
        ]
    return entries


def run_entries(run: PaymentRun) -> list[Entry]:
    """The ledger lines of one run (:class:`ExportError` unless its file was sent)."""
    if run.status != PaymentRun.Status.SENT:
        raise ExportError(
            gettext("Run %(run)s has not been sent to the bank: there is nothing to book yet.")
            % {"run": run.pk}
        )
    return _run_entries(run, account_codes())


def month_entries(month: str) -> list[Entry]:
    """Every ledger line of a calendar month: the runs paid on one of its days, then the
    returns and the write-offs of its statement lines, each by date."""
    first, last = parse_month(month)
    codes = account_codes()
    entries: list[Entry] = []
    sent = PaymentRun.objects.filter(
        status=PaymentRun.Status.SENT, execution_date__range=(first, last)
    ).order_by("execution_date", "pk")
    for run in sent:
        entries += _run_entries(run, codes)
    entries += _return_entries(first, last, codes)
    entries += _write_off_entries(first, last, codes)
    return entries


def _amount(value: Decimal) -> str:
    return f"{value:.2f}" if value else ""


def _csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def gl_csv(entries: Iterable[Entry]) -> bytes:
    """The general-ledger CSV (the layout of the module's docstring)."""
    return _csv(
        GL_HEADER,
        (
            [
                e.date.isoformat(),
                e.account,
                safe_cell(e.description),
                _amount(e.debit),
                _amount(e.credit),
                safe_cell(e.reference),
            ]
            for e in entries
        ),
    )


def xero_csv(entries: Iterable[Entry]) -> bytes:
    """Xero's manual-journal import: signed amounts, one journal per narration and date."""
    return _csv(
        XERO_HEADER,
        (
            [
                safe_cell(e.journal),
                f"{e.date:%d/%m/%Y}",
                safe_cell(f"{e.reference} {e.description}"),
                e.account,
                XERO_TAX_RATE,
                f"{e.debit - e.credit:.2f}",
                "",
                "",
                "",
                "",
            ]
            for e in entries
        ),
    )


def render(entries: list[Entry], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ExportError(
            gettext("Unknown export format %(format)r: gl or xero.") % {"format": fmt}
        )
    return gl_csv(entries) if fmt == "gl" else xero_csv(entries)


def filename(scope: str, fmt: str) -> str:
    """``ledger-2026-09.csv``, ``ledger-run-7-xero.csv``…"""
    return f"ledger-{scope}{'-xero' if fmt == 'xero' else ''}.csv"
