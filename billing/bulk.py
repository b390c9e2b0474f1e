"""Computing (and validating) the sheets of a whole session at once, with bulk inserts: the
same rules, schedule and history as one at a time (approved or active enrollments only),
a fixed number of queries per batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from billing import rules, schedule
from billing.models import (
    CommunityFare,
    ComputingSheet,
    ComputingSheetLine,
    RateSchedule,
    ScheduledPayment,
    SchoolFee,
)
from billing.services import _line_rows, rates_of, situation_of
from billing.signals import sheet_validated
from enrollment.models import ChecklistItem, Enrollment, RequiredDocument

BATCH = 1000


@dataclass
class BulkReport:
    computed: int = 0
    validated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _outstanding(enrollments: list[Enrollment]) -> dict[int, list[str]]:
    requirements = list(
        RequiredDocument.objects.filter(is_active=True).select_related("document_type")
    )
    if not requirements:
        return {}
    satisfied = set(
        ChecklistItem.objects.filter(
            enrollment__in=[e.pk for e in enrollments],
            status__in=[ChecklistItem.Status.RECEIVED, ChecklistItem.Status.ACCEPTED],
        ).values_list("enrollment_id", "document_type_id")
    )
    missing = {}
    for enrollment in enrollments:
        names = sorted(
            {
                r.document_type.name
                for r in requirements
                if r.applies_to(enrollment) and (enrollment.pk, r.document_type_id) not in satisfied
            }
        )
        if names:
            missing[enrollment.pk] = names
    return missing


@transaction.atomic
def sheets_compute_bulk(
    *,
    enrollments: QuerySet[Enrollment],
    validate: bool,
    by: AbstractBaseUser | None = None,
    today: dt.date | None = None,
) -> BulkReport:
    """First sheets for enrollments that have none (others are computed one by one); an
    enrollment neither approved nor active is skipped, saying so."""
    today, now, report = today or timezone.localdate(), timezone.now(), BulkReport()
    chosen = list(
        enrollments.filter(sheets__isnull=True)
        .select_related("student__community", "session__scholar_year", "school")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    years = {e.session.scholar_year_id for e in chosen}
    rates = {r.scholar_year_id: r for r in RateSchedule.objects.filter(scholar_year__in=years)}
    fares = {
        (f.rates_id, f.community_id): f.round_trip_fare
        for f in CommunityFare.objects.filter(rates__in=rates.values())
    }
    fees = {
        (f.rates_id, f.school_id, f.load): f.fee
        for f in SchoolFee.objects.filter(rates__in=rates.values())
    }
    for enrollment in chosen:
        if enrollment.status not in Enrollment.COMPUTABLE_STATUSES:
            report.skipped.append(
                (
                    enrollment.pk,
                    gettext(
                        "the enrollment is %(status)s: sheets are computed for approved or "
                        "active enrollments only"
                    )
                    % {"status": enrollment.get_status_display().lower()},
                )
            )
    chosen = [e for e in chosen if e.status in Enrollment.COMPUTABLE_STATUSES]
    missing = _outstanding(chosen) if validate else {}
    sheets, lines_by_sheet, plans = [], [], []
    for enrollment in chosen:
        rate = rates.get(enrollment.session.scholar_year_id)
        if rate is None:
            report.skipped.append(
                (enrollment.pk, f"no rate schedule for {enrollment.session.scholar_year}")
            )
            continue
        situation = situation_of(
            enrollment,
            fees.get((rate.pk, enrollment.school_id, enrollment.load)),
            fares.get((rate.pk, enrollment.student.community_id)),
        )
        try:
            lines = rules.compute_lines(rates_of(rate), situation)
        except ValueError as exc:
            report.skipped.append((enrollment.pk, str(exc)))
            continue
        total, school, student = rules.totals(lines)
        will_validate = validate and enrollment.pk not in missing
        if validate and not will_validate:
            reason = "documents missing: " + ", ".join(missing[enrollment.pk])
            report.skipped.append((enrollment.pk, f"left as a draft: {reason}"))
        sheet = ComputingSheet(
            enrollment=enrollment,
            revision=1,
            months=rules.months_in_session(situation.session_start, situation.session_end),
            total=total,
            school_total=school,
            student_total=student,
            computed_at=now,
            # Drafts first: lines go only on a draft (the database refuses them on a
            # validated sheet); the ones to validate are validated once their lines are in.
            status=ComputingSheet.Status.DRAFT,
        )
        sheets.append(sheet)
        lines_by_sheet.append(lines)
        plans.append((enrollment, rate, will_validate))
    ComputingSheet.objects.bulk_create(sheets, batch_size=BATCH)
    ComputingSheet.history.bulk_history_create(sheets, batch_size=BATCH, default_user=by)
    ComputingSheetLine.objects.bulk_create(
        [
            row
            for sheet, lines in zip(sheets, lines_by_sheet, strict=True)
            for row in _line_rows(sheet, lines)
        ],
        batch_size=BATCH,
    )
    validated = [s for s, (_, _, will_validate) in zip(sheets, plans, strict=True) if will_validate]
    ComputingSheet.objects.filter(pk__in=[s.pk for s in validated]).update(
        status=ComputingSheet.Status.VALIDATED, validated_by=by, validated_at=now
    )
    for sheet in validated:
        sheet.status, sheet.validated_by, sheet.validated_at = "validated", by, now
    ComputingSheet.history.bulk_history_create(
        validated, batch_size=BATCH, update=True, default_user=by
    )
    # What validating one sheet tells (the students' "sheet validated" emails), batched.
    if validated:
        sheet_validated.send(sender=ComputingSheet, sheets=validated)
    payments = []
    for sheet, lines, (enrollment, rate, will_validate) in zip(
        sheets, lines_by_sheet, plans, strict=True
    ):
        report.computed += 1
        if not will_validate:
            continue
        report.validated += 1
        planned = schedule.plan(
            lines,
            session_start=enrollment.session.start_date,
            session_end=enrollment.session.end_date,
            payment_day=rate.payment_day,
        )
        for number, item in enumerate(schedule.differences(planned, {}, today=today), start=1):
            payments.append(
                ScheduledPayment(
                    sheet=sheet,
                    enrollment=enrollment,
                    reference=f"AVQ-{enrollment.session.code}-{enrollment.student.status_no}-{number:02d}",
                    payee=item.slot.payee,
                    school=enrollment.school if item.slot.payee == "school" else None,
                    code=item.slot.code,
                    period=item.slot.period,
                    due_date=item.due,
                    amount=item.amount,
                )
            )
    ScheduledPayment.objects.bulk_create(payments, batch_size=BATCH)
    ScheduledPayment.history.bulk_history_create(payments, batch_size=BATCH, default_user=by)
    return report
