"""Reads for the finance screens: statements with their reconciled share, a page of a
statement's lines with their matches and stored proposals, payments found by reference,
status number, amount or name, the reconciliation reports."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from avataq.money import ZERO, money
from billing.matching import fold
from billing.models import BankStatement, LineProposal, Match, ScheduledPayment, StatementLine
from billing.reconciliation import MATCHABLE, rule_label
from scholarships.models import Session

MONEY = DecimalField(max_digits=14, decimal_places=2)


def statements_with_progress() -> QuerySet[BankStatement]:
    return (
        BankStatement.objects.select_related("account")
        .annotate(
            line_count=Count("lines"),
            matched_count=Count("lines", filter=Q(lines__matched_amount__gt=0)),
        )
        .order_by("-imported_at")
    )


# --- the reconcile page ------------------------------------------------------------------
LINE_FILTERS = ("all", "suggested", "unmatched", "matched")
LINES_PER_PAGE = 100
SEARCH_RESULTS = 20
MAX_AMOUNT = Decimal(10) ** 10  # what a money column holds
ACCENTS = {
    "A": "AÀÂÄÁÃÅ",
    "C": "CÇ",
    "E": "EÉÈÊË",
    "I": "IÎÏÍÌ",
    "N": "NÑ",
    "O": "OÔÖÓÒÕ",
    "U": "UÙÛÜÚ",
    "Y": "YŸÝ",
}


@dataclass
class LineRow:
    """A statement line as the page shows it: its live matches (``line.live``), what is
    left to match, and its stored proposal with the payments it names, in its order."""

    line: StatementLine
    proposal: LineProposal | None
    payments: list[ScheduledPayment]

    @property
    def left(self) -> Decimal:
        return abs(self.line.amount) - self.line.matched_amount

    @property
    def open_debit(self) -> bool:
        return self.line.amount < 0 and self.left > 0

    @property
    def rule_label(self) -> str:
        return rule_label(self.proposal.rule) if self.proposal else ""


@dataclass
class LinesPage:
    rows: list[LineRow]
    counts: dict[str, int]
    show: str
    number: int
    pages: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def statement_line_counts(statement: BankStatement) -> dict[str, int]:
    """How many of the statement's lines each filter of the page shows (one query)."""
    nothing_matched = Q(matched_amount=0)
    counts = statement.lines.aggregate(
        all=Count("pk"),
        matched=Count("pk", filter=~nothing_matched),
        suggested=Count("pk", filter=nothing_matched & Q(proposal__isnull=False)),
    )
    counts["unmatched"] = counts["all"] - counts["matched"] - counts["suggested"]
    return counts


def _filtered(statement: BankStatement, show: str) -> QuerySet[StatementLine]:
    lines = statement.lines.all()
    if show == "matched":
        return lines.filter(matched_amount__gt=0)
    if show == "suggested":
        return lines.filter(matched_amount=0, proposal__isnull=False)
    if show == "unmatched":
        return lines.filter(matched_amount=0, proposal__isnull=True)
    return lines


def _described(payments: QuerySet[ScheduledPayment]) -> QuerySet[ScheduledPayment]:
    """Payments with what the page says of them: payee (``payee_name``) and ``left``."""
    return payments.select_related("enrollment__student", "school").annotate(
        left=F("amount") - F("reconciled_amount")
    )


def payee_name(payment: ScheduledPayment) -> str:
    """Who a payment goes to: its student, or its school and for whom (the payment's
    school and student selected with it)."""
    student = payment.enrollment.student.full_name
    if not payment.school_id:
        return student
    return gettext("%(school)s, for %(student)s") % {
        "school": payment.school.name,
        "student": student,
    }


def statement_lines_page(
    statement: BankStatement, *, show: str = "all", number: int = 1, size: int = LINES_PER_PAGE
) -> LinesPage:
    """One page of the statement's lines under a filter, in date order, with their live
    matches and stored proposals: a fixed number of queries whatever the number of lines
    (the counts, the page's lines with their proposals, their matches, the payments their
    proposals name)."""
    counts = statement_line_counts(statement)
    pages = max(1, -(-counts[show] // size))
    number = min(max(number, 1), pages)
    live = Match.objects.filter(undone_at__isnull=True).select_related("payment", "invoice__school")
    lines = list(
        _filtered(statement, show)
        .select_related("proposal__invoice__school")
        .prefetch_related(Prefetch("matches", queryset=live, to_attr="live"))
        .order_by("booked_on", "pk")[(number - 1) * size : number * size]
    )
    proposals = {}
    for line in lines:
        proposal = getattr(line, "proposal", None)  # no row: the reverse one-to-one raises
        if proposal is not None and line.matched_amount == 0:
            proposals[line.pk] = proposal
    payments = _described(ScheduledPayment.objects.all()).in_bulk(
        {i for p in proposals.values() for i in p.payment_ids}
    )
    for payment in payments.values():
        payment.payee_label = payee_name(payment)
    rows = []
    for line in lines:
        for match in line.live:
            match.rule_label = rule_label(match.rule)
        proposal = proposals.get(line.pk)
        named = [payments[i] for i in proposal.payment_ids if i in payments] if proposal else []
        if proposal and len(named) < len(proposal.payment_ids):
            proposal, named = None, []  # a payment it names is gone: the next refresh drops it
        rows.append(LineRow(line, proposal, named))
    return LinesPage(rows, counts, show, number, pages)


def _sounds_like(word: str) -> str:
    """A PostgreSQL regular expression matching ``word`` whatever its accents and case
    (``elisapie`` finds ``Élisapie``)."""
    pattern = []
    for char in word.upper():
        base = fold(char)
        variants = ACCENTS.get(base, base if base.isalnum() else "")
        if not variants:
            pattern.append(re.escape(char))
            continue
        pattern.append("[" + variants + variants.lower() + "]")
    return "".join(pattern)


def payments_found(
    query: str, *, owed: Decimal | None = None, limit: int = SEARCH_RESULTS
) -> list[ScheduledPayment]:
    """Open payments (something left to reconcile) by reference (whole or its beginning:
    ``AVQ-2025F-12345`` lists a student's), status number, amount, or name — each word a
    first, last or school name, accents and case ignored. Those with exactly ``owed``
    left (what the line searched for has left) come first."""
    query = query.strip()
    if not query:
        return []
    found = Q(reference__istartswith=query) | Q(enrollment__student__status_no=query)
    with contextlib.suppress(ArithmeticError, ValueError):  # not an amount: no matter
        amount = money(Decimal(query.replace(",", "").replace("$", "")))
        if abs(amount) < MAX_AMOUNT:
            found |= Q(amount=amount)
    words = [w for w in re.split(r"[^\w'-]+", query) if w]
    if words and not query.upper().startswith("AVQ-"):
        named = Q()
        for word in words[:4]:
            like = _sounds_like(word)
            named &= (
                Q(enrollment__student__first_name__iregex=like)
                | Q(enrollment__student__last_name__iregex=like)
                | Q(school__name__iregex=like)
            )
        found |= named
    payments = list(
        _described(
            ScheduledPayment.objects.filter(status__in=MATCHABLE, amount__gt=F("reconciled_amount"))
        )
        .filter(found)
        .annotate(fits=Case(When(left=owed, then=Value(0)), default=Value(1)))
        .order_by("fits", "due_date", "reference")[:limit]
    )
    for payment in payments:
        payment.payee_label = payee_name(payment)
    return payments


@dataclass(frozen=True)
class ReportRow:
    session: str
    school: str
    scheduled: Decimal
    paid: Decimal
    reconciled: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.scheduled - self.reconciled


def payments_report() -> list[ReportRow]:
    """Per session and school (students' allowances under "students")."""
    rows = (
        ScheduledPayment.objects.exclude(status=ScheduledPayment.Status.CANCELLED)
        .values(
            "enrollment__session__term",
            "enrollment__session__start_date",
            "school__name",
        )
        .annotate(
            scheduled=Sum("amount"),
            paid=Coalesce(
                Sum("amount", filter=Q(status__in=["paid", "reconciled"])),
                Value(ZERO),
                output_field=MONEY,
            ),
            reconciled=Sum("reconciled_amount"),
        )
        # In date order: sessions as they come, then each session's payees.
        .order_by("enrollment__session__start_date", "school__name")
    )
    terms = dict(Session.Term.choices)
    return [
        ReportRow(
            f"{terms.get(r['enrollment__session__term'], r['enrollment__session__term'])} "
            f"{r['enrollment__session__start_date'].year}",
            r["school__name"] or gettext("Students"),
            r["scheduled"],
            r["paid"],
            r["reconciled"],
        )
        for r in rows
    ]


def unmatched_lines(*, older_than_days: int) -> QuerySet[StatementLine]:
    try:
        cutoff = timezone.localdate() - dt.timedelta(days=older_than_days)
    except OverflowError:  # further back than a date goes (or forward): the furthest one
        cutoff = dt.date.min if older_than_days > 0 else dt.date.max
    return (
        StatementLine.objects.filter(matched_amount=0, booked_on__lte=cutoff)
        .select_related("account")
        .order_by("booked_on", "pk")
    )


def written_off_total() -> Decimal:
    return Match.objects.filter(kind="write_off", undone_at__isnull=True).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)
    )["total"]


def monthly_chart() -> list[tuple[dt.date, Decimal, Decimal]]:
    """(month, reconciled, outstanding) of the payments due each month."""
    rows = (
        ScheduledPayment.objects.exclude(status="cancelled")
        .filter(amount__gt=0)
        .annotate(month=TruncMonth("due_date"))
        .values("month")
        .annotate(total=Sum("amount"), reconciled=Sum("reconciled_amount"))
        .order_by("month")
    )
    return [(r["month"], r["reconciled"], r["total"] - r["reconciled"]) for r in rows]
