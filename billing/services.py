"""Every write of billing: rates, computing sheets and their revisions, the payment
schedule, withdrawals' recoveries, school invoices. One transaction each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from avataq import locks
from avataq.errors import AvataqError
from avataq.money import ZERO, money
from billing import rules, schedule
from billing.models import (
    CommunityFare,
    ComputingSheet,
    ComputingSheetLine,
    RateSchedule,
    Recovery,
    ScheduledPayment,
    SchoolFee,
    SchoolInvoice,
)
from billing.signals import payment_sent, sheet_validated
from enrollment.checklist import checklist_outstanding
from enrollment.models import Enrollment
from scholarships.models import ScholarYear, Student

Sheet = ComputingSheet.Status
Payment = ScheduledPayment.Status
PAYABLE_ENROLLMENTS = (
    Enrollment.Status.APPROVED,
    Enrollment.Status.ACTIVE,
    Enrollment.Status.COMPLETED,
)
# Sheets are computed (first, again, or as a new revision) only while the enrollment is
# under way; a completed one keeps its validated sheet and is still paid.
MONEY_OUT = (Payment.SENT, Payment.PAID, Payment.RECONCILED)


class BillingError(AvataqError):
    """A billing step that cannot be taken; the message says why."""

    code = "billing"


class NotComputable(BillingError):
    """The enrollment is neither approved nor active: no sheet is computed for it."""

    code = "enrollment_not_computable"

    def __init__(self, status: str) -> None:
        self.status = Enrollment.Status(status)
        super().__init__(
            gettext(
                "The enrollment is %(status)s: computing sheets are for approved or active "
                "enrollments only."
            )
            % {"status": self.status.label.lower()}
        )


# --- rates -------------------------------------------------------------------------------------
def rates_for(scholar_year: ScholarYear) -> RateSchedule:
    rates = RateSchedule.objects.filter(scholar_year=scholar_year).first()
    if rates is None:
        raise BillingError(
            gettext("There is no rate schedule for %(year)s; add one first.")
            % {"year": scholar_year}
        )
    return rates


@transaction.atomic
def rates_copy_to_next_year(*, rates: RateSchedule) -> RateSchedule:
    """The same rates, fares and school fees for the following scholar year."""
    first = int(rates.scholar_year.code[:4]) + 1
    target = ScholarYear.objects.filter(code=f"{first}-{first + 1}").first()
    if target is None:
        raise BillingError(
            gettext("Scholar year %(year)s does not exist yet.") % {"year": f"{first}-{first + 1}"}
        )
    if RateSchedule.objects.filter(scholar_year=target).exists():
        raise BillingError(gettext("%(year)s already has a rate schedule.") % {"year": target})
    fares, fees = list(rates.fares.all()), list(rates.school_fees.all())
    copy = RateSchedule.objects.get(pk=rates.pk)
    copy.pk, copy.scholar_year = None, target
    copy.full_clean()
    copy.save()
    CommunityFare.objects.bulk_create(
        [
            CommunityFare(
                rates=copy, community_id=f.community_id, round_trip_fare=f.round_trip_fare
            )
            for f in fares
        ]
    )
    SchoolFee.objects.bulk_create(
        [SchoolFee(rates=copy, school_id=f.school_id, load=f.load, fee=f.fee) for f in fees]
    )
    return copy


# --- computing ---------------------------------------------------------------------------------
def _enrollment(enrollment_id: int) -> Enrollment:
    return Enrollment.objects.select_related(
        "student__community", "session__scholar_year", "school"
    ).get(pk=enrollment_id)


def _rates_bundle(
    rates: RateSchedule, enrollment: Enrollment
) -> tuple[Decimal | None, Decimal | None]:
    fee = (
        SchoolFee.objects.filter(rates=rates, school=enrollment.school_id, load=enrollment.load)
        .values_list("fee", flat=True)
        .first()
    )
    fare = (
        CommunityFare.objects.filter(rates=rates, community=enrollment.student.community_id)
        .values_list("round_trip_fare", flat=True)
        .first()
    )
    return fee, fare


def situation_of(
    enrollment: Enrollment, fee: Decimal | None, fare: Decimal | None
) -> rules.Situation:
    student = enrollment.student
    return rules.Situation(
        full_time=enrollment.load == Enrollment.Load.FULL_TIME,
        with_spouse=student.marital_status
        in (Student.MaritalStatus.MARRIED, Student.MaritalStatus.COMMON_LAW),
        dependants=student.dependants,
        away_from_home=enrollment.residence != Enrollment.Residence.HOME_COMMUNITY,
        off_campus=enrollment.residence == Enrollment.Residence.OFF_CAMPUS,
        session_start=enrollment.session.start_date,
        session_end=enrollment.session.end_date,
        school_fee=fee,
        community_fare=fare,
        community=student.community.name,
    )


def rates_of(schedule_row: RateSchedule) -> rules.Rates:
    return rules.Rates(
        tuition_cap=schedule_row.tuition_cap,
        books_full_time=schedule_row.books_full_time,
        books_part_time=schedule_row.books_part_time,
        living_single=schedule_row.living_single,
        living_with_spouse=schedule_row.living_with_spouse,
        living_per_dependant=schedule_row.living_per_dependant,
        housing_supplement=schedule_row.housing_supplement,
        round_trips_per_session=schedule_row.round_trips_per_session,
        childcare_per_dependant=schedule_row.childcare_per_dependant,
    )


def _line_rows(sheet: ComputingSheet, lines: list[rules.Line]) -> list[ComputingSheetLine]:
    return [
        ComputingSheetLine(
            sheet=sheet,
            code=line.code,
            label=line.label,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            amount=line.amount,
            payee=line.payee,
            rule=line.rule,
            rule_template=line.rule_template,
            rule_params=line.rule_params,
        )
        for line in lines
    ]


def _refresh_totals(sheet: ComputingSheet) -> None:
    sums = dict(
        sheet.lines.values_list("payee").annotate(total=Sum("amount")).values_list("payee", "total")
    )
    sheet.school_total = sums.get("school") or ZERO
    sheet.student_total = sums.get("student") or ZERO
    sheet.total = sheet.school_total + sheet.student_total
    sheet.save(update_fields=["school_total", "student_total", "total", "computed_at", "months"])


@transaction.atomic
def compute_sheet(*, enrollment: Enrollment, by: AbstractBaseUser | None = None) -> ComputingSheet:
    """The enrollment's draft sheet, (re)computed from the rates: a new draft (a new
    revision when one is validated), or the existing draft's automatic lines redone
    (idempotent; manual lines stay). Only for an approved or active enrollment
    (:class:`NotComputable` otherwise). A fixed number of queries, whatever the lines;
    one history row, with ``by``."""
    status = locks.lock_one(Enrollment.objects.filter(pk=enrollment.pk)).status
    if status not in Enrollment.COMPUTABLE_STATUSES:
        raise NotComputable(status)
    enrollment = _enrollment(enrollment.pk)
    rates = rates_for(enrollment.session.scholar_year)
    fee, fare = _rates_bundle(rates, enrollment)
    try:
        lines = rules.compute_lines(rates_of(rates), situation_of(enrollment, fee, fare))
    except ValueError as exc:
        raise BillingError(gettext("Cannot compute: %(error)s.") % {"error": exc}) from None
    months = rules.months_in_session(enrollment.session.start_date, enrollment.session.end_date)
    sheets = list(enrollment.sheets.filter(status__in=[Sheet.DRAFT, Sheet.VALIDATED]))
    draft = next((s for s in sheets if s.status == Sheet.DRAFT), None)
    validated = next((s for s in sheets if s.status == Sheet.VALIDATED), None)
    if draft is None:
        # A new draft has no manual line yet: its totals are its computed lines'.
        last = enrollment.sheets.order_by("-revision").values_list("revision", flat=True).first()
        total, school_total, student_total = rules.totals(lines)
        draft = ComputingSheet(
            enrollment=enrollment,
            revision=(last or 0) + 1,
            previous=validated,
            months=months,
            total=total,
            school_total=school_total,
            student_total=student_total,
            computed_at=timezone.now(),
        )
        draft._history_user = by
        draft.save()
        ComputingSheetLine.objects.bulk_create(_line_rows(draft, lines))
        return draft
    draft.lines.filter(is_manual=False).delete()
    ComputingSheetLine.objects.bulk_create(_line_rows(draft, lines))
    draft.months, draft.computed_at = months, timezone.now()
    draft._history_user = by
    _refresh_totals(draft)
    return draft


def _require_draft(sheet: ComputingSheet) -> ComputingSheet:
    locked = locks.lock_one(ComputingSheet.objects.filter(pk=sheet.pk))
    if locked.status != Sheet.DRAFT:
        raise BillingError(
            gettext(
                "This sheet is %(status)s: only a draft changes. Compute a new revision instead."
            )
            % {"status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def sheet_add_manual_line(
    *,
    sheet: ComputingSheet,
    label: str,
    amount: Decimal,
    payee: str,
    reason: str,
    by: AbstractBaseUser | None,
) -> ComputingSheetLine:
    """An adjustment staff add to a draft, positive or negative, always with its reason."""
    sheet = _require_draft(sheet)
    if not reason.strip():
        raise BillingError(gettext("A manual line needs a reason."))
    if payee not in ComputingSheetLine.Payee.values:
        raise BillingError(
            gettext("Payee must be school or student, not %(payee)r.") % {"payee": payee}
        )
    amount = money(amount)
    if amount == ZERO:
        raise BillingError(gettext("A manual line of 0.00 changes nothing."))
    line = ComputingSheetLine(
        sheet=sheet,
        code="ADJ",
        label=label.strip() or "Adjustment",
        quantity=Decimal(1),
        unit_amount=amount,
        amount=amount,
        payee=payee,
        rule="Manual adjustment.",
        is_manual=True,
        reason=reason.strip(),
        created_by=by,
    )
    line.full_clean()
    line.save()
    sheet.computed_at = timezone.now()
    sheet._history_user = by
    _refresh_totals(sheet)
    return line


def _next_references(enrollment: Enrollment, count: int) -> list[str]:
    used = ScheduledPayment.objects.filter(enrollment=enrollment).count()
    code = enrollment.session.code
    return [
        f"AVQ-{code}-{enrollment.student.status_no}-{used + i:02d}" for i in range(1, count + 1)
    ]


@transaction.atomic
def sheet_validate(
    *, sheet: ComputingSheet, by: AbstractBaseUser | None, today: dt.date | None = None
) -> ComputingSheet:
    """Validate a draft: it becomes immutable, the previous revision is superseded, and
    only the difference with what earlier revisions scheduled or paid is scheduled."""
    today = today or timezone.localdate()
    sheet = _require_draft(sheet)
    enrollment = _enrollment(sheet.enrollment_id)
    if enrollment.status not in PAYABLE_ENROLLMENTS:
        raise BillingError(
            gettext(
                "The enrollment is %(status)s: only approved, active or completed "
                "enrollments are paid."
            )
            % {"status": enrollment.get_status_display().lower()}
        )
    missing = checklist_outstanding(enrollment)
    if missing:
        raise BillingError(
            gettext("Documents are missing: %(types)s.")
            % {"types": ", ".join(t.name for t in missing)}
        )
    rates = rates_for(enrollment.session.scholar_year)
    lines = list(sheet.lines.all())
    planned = schedule.plan(
        lines,
        session_start=enrollment.session.start_date,
        session_end=enrollment.session.end_date,
        payment_day=rates.payment_day,
    )
    already = schedule.totals_by_slot(
        list(
            ScheduledPayment.objects.filter(
                enrollment=enrollment, status__in=ScheduledPayment.LIVE_STATUSES
            )
        )
    )
    changes = schedule.differences(planned, already, today=today)
    references = _next_references(enrollment, len(changes))
    bulk_create_with_history(
        [
            ScheduledPayment(
                sheet=sheet,
                enrollment=enrollment,
                reference=reference,
                payee=item.slot.payee,
                school=enrollment.school if item.slot.payee == "school" else None,
                code=item.slot.code,
                period=item.slot.period,
                due_date=item.due,
                amount=item.amount,
            )
            for item, reference in zip(changes, references, strict=True)
        ],
        ScheduledPayment,
        default_user=by,
    )
    (superseded,) = locks.lock(
        ComputingSheet.objects.filter(enrollment=enrollment, status=Sheet.VALIDATED)
    )
    for earlier in superseded:
        earlier.status, earlier._history_user = Sheet.SUPERSEDED, by
        earlier.save(update_fields=["status"])
    sheet.status, sheet.validated_by, sheet.validated_at = Sheet.VALIDATED, by, timezone.now()
    sheet._history_user = by
    sheet.save(update_fields=["status", "validated_by", "validated_at"])
    sheet_validated.send(sender=ComputingSheet, sheets=[sheet])
    return sheet


@transaction.atomic
def sheet_cancel(*, sheet: ComputingSheet, by: AbstractBaseUser | None) -> ComputingSheet:
    """Cancel a draft (a validated sheet changes by a new revision, not by cancelling)."""
    sheet = _require_draft(sheet)
    sheet.status, sheet._history_user = Sheet.CANCELLED, by
    sheet.save(update_fields=["status"])
    return sheet


@dataclass(frozen=True)
class DiffRow:
    code: str
    label: str
    payee: str
    old: Decimal | None
    new: Decimal | None

    @property
    def change(self) -> Decimal:
        return (self.new or ZERO) - (self.old or ZERO)


def sheet_diff(*, sheet: ComputingSheet) -> list[DiffRow]:
    """Old line, new line, change: a draft revision next to the sheet it would replace."""

    def grouped(target: ComputingSheet | None) -> dict[tuple[str, str], tuple[str, Decimal]]:
        found: dict[tuple[str, str], tuple[str, Decimal]] = {}
        for line in target.lines.all() if target else []:
            key = (line.code, line.payee)
            label, amount = found.get(key, (line.label, ZERO))
            found[key] = (label, amount + line.amount)
        return found

    old, new = grouped(sheet.previous), grouped(sheet)
    return [
        DiffRow(
            code,
            (new.get((code, payee)) or old.get((code, payee)))[0],
            payee,
            old[(code, payee)][1] if (code, payee) in old else None,
            new[(code, payee)][1] if (code, payee) in new else None,
        )
        for code, payee in sorted(set(old) | set(new))
    ]


# --- withdrawals ---------------------------------------------------------------------------
@transaction.atomic
def enrollment_withdrawal_settle(
    *, enrollment: Enrollment, by: AbstractBaseUser | None = None
) -> Recovery | None:
    """Cancel what was not sent yet; what was paid for months after the withdrawal is a
    recovery the student owes, shown on the validated sheet. Each payment cancelled is in
    its history, by ``by`` (who withdrew the enrollment)."""
    withdrawn_on = enrollment.withdrawn_on or timezone.localdate()
    (locked,) = locks.lock(ScheduledPayment.objects.filter(enrollment=enrollment))
    payments = ScheduledPayment.objects.filter(pk__in=[payment.pk for payment in locked])
    cancelled = list(payments.filter(status=Payment.SCHEDULED).order_by("pk"))
    for payment in cancelled:
        payment.status = Payment.CANCELLED
    bulk_update_with_history(cancelled, ScheduledPayment, ["status"], default_user=by)
    overpaid = (
        payments.filter(
            status__in=MONEY_OUT, code__in=schedule.MONTHLY, period__gt=withdrawn_on
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    sheet = enrollment.sheets.filter(status=Sheet.VALIDATED).first()
    if overpaid <= ZERO or sheet is None:
        return None
    sheet.recovery, sheet._history_user = sheet.recovery + overpaid, by
    sheet.save(update_fields=["recovery"])
    return Recovery.objects.create(
        enrollment=enrollment,
        sheet=sheet,
        amount=overpaid,
        reason=f"Allowances paid for months after the withdrawal on {withdrawn_on}.",
    )


def on_enrollment_withdrawn(
    sender: Any, enrollment: Enrollment, by: AbstractBaseUser | None = None, **kwargs: Any
) -> None:
    enrollment_withdrawal_settle(enrollment=enrollment, by=by)


# --- payments and invoices -------------------------------------------------------------------
def _label(choices: type, value: str) -> str:
    """A status as a sentence says it ("approved"), in the active language."""
    return str(dict(choices.choices).get(value, value)).lower()


PAYMENT_FLOW = {
    Payment.SENT: (Payment.SCHEDULED,),
    Payment.PAID: (Payment.SENT,),
    Payment.RECONCILED: (Payment.PAID,),
    Payment.CANCELLED: (Payment.SCHEDULED,),
}


@transaction.atomic
def payment_mark(
    *, payment: ScheduledPayment, status: str, by: AbstractBaseUser | None = None
) -> ScheduledPayment:
    locked = locks.lock_one(ScheduledPayment.objects.filter(pk=payment.pk))
    if locked.status not in PAYMENT_FLOW.get(status, ()):
        raise BillingError(
            gettext("Cannot mark a payment that is %(status)s as %(target)s.")
            % {"status": _label(Payment, locked.status), "target": _label(Payment, status)}
        )
    locked.status, locked._history_user = status, by
    locked.save(update_fields=["status"])
    if status == Payment.SENT:
        payment_sent.send(sender=ScheduledPayment, payment=locked)
    return locked


INVOICE_FLOW = {
    SchoolInvoice.Status.APPROVED: SchoolInvoice.Status.RECEIVED,
    SchoolInvoice.Status.PAID: SchoolInvoice.Status.APPROVED,
}


@transaction.atomic
def invoice_mark(*, invoice: SchoolInvoice, status: str) -> SchoolInvoice:
    locked = locks.lock_one(SchoolInvoice.objects.filter(pk=invoice.pk))
    if INVOICE_FLOW.get(status) != locked.status:
        raise BillingError(
            gettext("Cannot mark an invoice that is %(status)s as %(target)s.")
            % {
                "status": _label(SchoolInvoice.Status, locked.status),
                "target": _label(SchoolInvoice.Status, status),
            }
        )
    locked.status = status
    locked.save(update_fields=["status"])
    return locked


# --- bank statements ---------------------------------------------------------------------------
# The import itself lives in billing.statement_files (files, routing, balances, the task);
# these two keep the one-account shape the tests and benchmarks call.
def statement_import(
    *,
    account: Any,
    data: bytes,
    filename: str,
    source_format: str,
    by: AbstractBaseUser | None = None,
) -> Any:
    """Import one account's statement file without applying its automatic matches."""
    from billing.statement_files import statement_file_import

    result = statement_file_import(
        data=data,
        filename=filename,
        source_format=source_format,
        account=account,
        by=by,
        reconcile=False,
    )
    return result.statements[0]


def statement_import_and_reconcile(
    *,
    account: Any,
    data: bytes,
    filename: str,
    source_format: str,
    by: AbstractBaseUser | None = None,
) -> tuple[Any, int]:
    """Import one account's statement file and apply its automatic matches, all or
    nothing. (statement, matches applied)"""
    from billing.statement_files import statement_file_import

    result = statement_file_import(
        data=data, filename=filename, source_format=source_format, account=account, by=by
    )
    return result.statements[0], result.reconciled
