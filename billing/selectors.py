"""Reads shared by the admin screens and reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet, Sum

from avataq.money import ZERO
from billing.models import ComputingSheet, ComputingSheetLine, SchoolInvoiceLine
from enrollment.models import Enrollment
from scholarships.models import School, Session

APPROVED = ["approved", "active", "completed"]


@dataclass(frozen=True)
class DiscrepancyRow:
    session: Session
    school: School
    computed: Decimal
    invoiced: Decimal

    @property
    def difference(self) -> Decimal:
        return self.invoiced - self.computed


def invoice_discrepancies() -> list[DiscrepancyRow]:
    """Per session and school: tuition on validated sheets next to what the school invoiced."""
    computed = (
        ComputingSheetLine.objects.filter(
            payee="school", sheet__status=ComputingSheet.Status.VALIDATED
        )
        .values("sheet__enrollment__session", "sheet__enrollment__school")
        .annotate(total=Sum("amount"))
    )
    invoiced = (
        SchoolInvoiceLine.objects.filter(invoice__session__isnull=False)
        .values("invoice__session", "invoice__school")
        .annotate(total=Sum("amount"))
    )
    sums: dict[tuple[int, int], list[Decimal]] = {}
    for row in computed:
        key = (row["sheet__enrollment__session"], row["sheet__enrollment__school"])
        sums.setdefault(key, [ZERO, ZERO])[0] = row["total"]
    for row in invoiced:
        key = (row["invoice__session"], row["invoice__school"])
        sums.setdefault(key, [ZERO, ZERO])[1] = row["total"]
    sessions = Session.objects.in_bulk({k[0] for k in sums})
    schools = School.objects.in_bulk({k[1] for k in sums})
    rows = [
        DiscrepancyRow(sessions[s], schools[c], computed_total, invoiced_total)
        for (s, c), (computed_total, invoiced_total) in sums.items()
    ]
    return sorted(rows, key=lambda r: (r.session.start_date, r.school.name))


def invoice_lines_without_approved_enrollment() -> QuerySet[SchoolInvoiceLine]:
    """Lines billing a student who has no approved enrollment at that school that session."""
    approved = Enrollment.objects.filter(
        student=OuterRef("student"),
        school=OuterRef("invoice__school"),
        session=OuterRef("invoice__session"),
        status__in=APPROVED,
    )
    return (
        SchoolInvoiceLine.objects.annotate(has_enrollment=Exists(approved))
        .filter(has_enrollment=False)
        .select_related("invoice__school", "invoice__session", "student")
    )
