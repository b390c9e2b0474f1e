"""Reads for the finance screens: statements with their reconciled share, a statement's
lines with their matches, the reconciliation reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from avataq.money import ZERO
from billing.models import BankStatement, Match, ScheduledPayment, StatementLine

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


def statement_lines(statement: BankStatement) -> QuerySet[StatementLine]:
    live = Match.objects.filter(undone_at__isnull=True).select_related("payment", "invoice__school")
    return statement.lines.prefetch_related(Prefetch("matches", queryset=live, to_attr="live"))


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
            "enrollment__session__term", "enrollment__session__start_date__year", "school__name"
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
        .order_by(
            "enrollment__session__start_date__year", "enrollment__session__term", "school__name"
        )
    )
    return [
        ReportRow(
            f"{r['enrollment__session__term'].capitalize()} "
            f"{r['enrollment__session__start_date__year']}",
            r["school__name"] or "Students",
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
    return StatementLine.objects.filter(matched_amount=0, booked_on__lte=cutoff).select_related(
        "account"
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
