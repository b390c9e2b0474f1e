"""Applying reconciliation: matches, write-offs and undo, each in one transaction, rows
locked in primary-key order (lines, then payments) so two finance users working on one
statement cannot double-match, and the loser is told why. The database refuses a payment
reconciled beyond its amount or a line matched beyond its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from avataq.money import ZERO, money
from billing import reconciliation
from billing.models import (
    BankStatement,
    Match,
    RejectedSuggestion,
    ScheduledPayment,
    SchoolInvoice,
    StatementLine,
)

Payment = ScheduledPayment.Status
MATCHABLE = (Payment.SCHEDULED, Payment.SENT, Payment.PAID)
LOOKBACK_DAYS = 31  # payments due this long around a statement's dates are candidates
# Imports now refuse dates outside a sane window, but a line kept before (year 1) must not
# overflow the date arithmetic of the statement page: such a line is proposed nothing.
PROPOSABLE = (
    dt.date.min + dt.timedelta(days=LOOKBACK_DAYS),
    dt.date.max - dt.timedelta(days=LOOKBACK_DAYS),
)


class ReconciliationConflict(Exception):
    """The match cannot be made (already matched, amounts do not fit); the message says why."""


def _remaining(line: StatementLine) -> Decimal:
    return abs(line.amount) - line.matched_amount


@transaction.atomic
def match_create(
    *,
    line: StatementLine,
    parts: list[tuple[ScheduledPayment, Decimal]],
    by: AbstractBaseUser | None,
    rule: str = "manual",
    confidence: float | None = None,
) -> list[Match]:
    """Settle ``parts`` (payment, amount) with ``line``: a plain match, a split over several
    payments, or a partial payment. A payment fully covered becomes reconciled."""
    if not parts:
        raise ReconciliationConflict("Choose at least one payment.")
    if any(money(amount) <= ZERO for _, amount in parts):
        raise ReconciliationConflict("Every part of a match must be a positive amount.")
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    ids = sorted(payment.pk for payment, _ in parts)
    locked = {
        p.pk: p
        for p in ScheduledPayment.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    total = sum((money(amount) for _, amount in parts), ZERO)
    if total <= ZERO or total > _remaining(line):
        raise ReconciliationConflict(
            f"The line has {_remaining(line)} left to match; {total} was asked."
        )
    matches = []
    for payment, amount in parts:
        current = locked[payment.pk]
        amount = money(amount)
        if current.status not in MATCHABLE or amount > current.amount - current.reconciled_amount:
            raise ReconciliationConflict(
                f"Payment {current.reference} is already {current.get_status_display().lower()} "
                f"or has less than {amount} left to reconcile."
            )
        previous = current.status
        current.reconciled_amount += amount
        if current.reconciled_amount == current.amount:
            current.status = Payment.RECONCILED
        current.save(update_fields=["reconciled_amount", "status"])
        matches.append(
            Match(
                line=line,
                payment=current,
                amount=amount,
                rule=rule,
                confidence=confidence,
                previous_status=previous,
                created_by=by,
            )
        )
    line.matched_amount += total
    line.save(update_fields=["matched_amount"])
    Match.objects.bulk_create(matches)
    return matches


INVOICE_MATCHABLE = (SchoolInvoice.Status.APPROVED, SchoolInvoice.Status.PAID)


@transaction.atomic
def invoice_match(
    *,
    line: StatementLine,
    invoice: SchoolInvoice,
    amount: Decimal,
    by: AbstractBaseUser | None,
    rule: str = "manual",
    confidence: float | None = None,
) -> Match:
    """Settle (part of) a school invoice with a bank line; covered, it is reconciled."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    invoice = SchoolInvoice.objects.select_for_update().get(pk=invoice.pk)
    amount = money(amount)
    if amount <= ZERO or amount > _remaining(line):
        raise ReconciliationConflict(f"The line has {_remaining(line)} left to match.")
    if (
        invoice.status not in INVOICE_MATCHABLE
        or amount > invoice.total - invoice.reconciled_amount
    ):
        raise ReconciliationConflict(
            f"Invoice {invoice} is {invoice.get_status_display().lower()} or has less than "
            f"{amount} left to reconcile."
        )
    previous = invoice.status
    invoice.reconciled_amount += amount
    if invoice.reconciled_amount == invoice.total:
        invoice.status = SchoolInvoice.Status.RECONCILED
    invoice.save(update_fields=["reconciled_amount", "status"])
    line.matched_amount += amount
    line.save(update_fields=["matched_amount"])
    return Match.objects.create(
        line=line,
        invoice=invoice,
        amount=amount,
        rule=rule,
        confidence=confidence,
        previous_status=previous,
        created_by=by,
    )


def invoice_proposals(*, statement: BankStatement) -> list[tuple[StatementLine, SchoolInvoice]]:
    """Debit lines naming an approved or paid invoice's number, for exactly what is left."""
    lines = list(statement.lines.filter(matched_amount=0, amount__lt=0))
    invoices: dict[str, list[SchoolInvoice]] = {}
    for invoice in SchoolInvoice.objects.filter(status__in=INVOICE_MATCHABLE).select_related(
        "school"
    ):
        invoices.setdefault(invoice.invoice_number.upper(), []).append(invoice)
    found = []
    for line in lines:
        for token in reconciliation.tokens(f"{line.description} {line.reference}"):
            candidates = [
                i for i in invoices.get(token, ()) if i.total - i.reconciled_amount == -line.amount
            ]
            if len(candidates) == 1:
                found.append((line, candidates[0]))
                break
    return found


@transaction.atomic
def write_off(
    *, line: StatementLine, amount: Decimal, reason: str, by: AbstractBaseUser | None
) -> Match:
    """Close a small difference left on a line, with the reason (limit: setting)."""
    if not reason.strip():
        raise ReconciliationConflict("A write-off needs a reason.")
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    amount = money(amount)
    limit = Decimal(str(getattr(settings, "RECONCILIATION_WRITE_OFF_LIMIT", "5.00")))
    if amount <= ZERO or amount > limit or amount > _remaining(line):
        raise ReconciliationConflict(
            f"A write-off is at most {limit} and what the line has left ({_remaining(line)})."
        )
    line.matched_amount += amount
    line.save(update_fields=["matched_amount"])
    return Match.objects.create(
        line=line,
        kind=Match.Kind.WRITE_OFF,
        amount=amount,
        reason=reason.strip(),
        rule="write-off",
        created_by=by,
    )


@transaction.atomic
def match_undo(*, match: Match, by: AbstractBaseUser | None) -> Match:
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.undone_at is not None:
        raise ReconciliationConflict("This match was already undone.")
    line = StatementLine.objects.select_for_update().get(pk=match.line_id)
    if match.invoice_id:
        invoice = SchoolInvoice.objects.select_for_update().get(pk=match.invoice_id)
        invoice.reconciled_amount -= match.amount
        if invoice.status == SchoolInvoice.Status.RECONCILED:
            invoice.status = match.previous_status or SchoolInvoice.Status.PAID
        invoice.save(update_fields=["reconciled_amount", "status"])
    if match.payment_id:
        payment = ScheduledPayment.objects.select_for_update().get(pk=match.payment_id)
        payment.reconciled_amount -= match.amount
        if payment.status == Payment.RECONCILED:
            payment.status = match.previous_status or Payment.PAID
        payment.save(update_fields=["reconciled_amount", "status"])
    line.matched_amount -= match.amount
    line.save(update_fields=["matched_amount"])
    match.undone_by, match.undone_at = by, timezone.now()
    match.save(update_fields=["undone_by", "undone_at"])
    return match


def _open_payments(statement: BankStatement, texts: list[str]) -> list[reconciliation.OpenPayment]:
    """Open payments a statement can settle: due around its dates, or named by reference
    in its lines (a late payment is still found by its reference)."""
    references = {
        token for text in texts for token in reconciliation.tokens(text) if token.startswith("AVQ-")
    }
    around = Q()
    if statement.first_date and statement.last_date:
        margin = dt.timedelta(days=LOOKBACK_DAYS)
        first = max(statement.first_date, PROPOSABLE[0])
        last = min(statement.last_date, PROPOSABLE[1])
        around = Q(due_date__range=(first - margin, last + margin))
    rows = (
        ScheduledPayment.objects.filter(status__in=MATCHABLE, amount__gt=0)
        .filter(around | Q(reference__in=references))
        .select_related("enrollment__student", "school")
    )
    return [
        reconciliation.OpenPayment(
            id=p.pk,
            reference=p.reference,
            amount=p.amount - p.reconciled_amount,
            due=p.due_date,
            payee=p.payee,
            status_no=p.enrollment.student.status_no,
            payee_name=p.school.name if p.school_id else p.enrollment.student.full_name,
            school_id=p.school_id,
        )
        for p in rows
    ]


def statement_proposals(*, statement: BankStatement) -> list[reconciliation.Proposal]:
    lines = [
        reconciliation.BankLine(
            line.pk,
            line.booked_on,
            line.amount,
            f"{line.description} {line.reference}",
            line.counterparty,
        )
        for line in statement.lines.filter(
            matched_amount=0, amount__lt=0, booked_on__range=PROPOSABLE
        )
    ]
    proposals = reconciliation.propose(lines, _open_payments(statement, [b.text for b in lines]))
    rejected = {
        (line_id, tuple(sorted(ids)))
        for line_id, ids in RejectedSuggestion.objects.filter(
            line__statement=statement
        ).values_list("line_id", "payment_ids")
    }
    return [p for p in proposals if (p.line_id, tuple(sorted(p.payment_ids))) not in rejected]


def proposals_accept(
    *,
    statement: BankStatement,
    line_id: int | None,
    threshold: float,
    by: AbstractBaseUser | None,
) -> tuple[int, list[str]]:
    """Accept the suggestion for one line, or every suggestion at or above ``threshold``;
    each match in its own transaction, so one conflict does not undo the others.
    (accepted, reasons for those refused)"""
    chosen = [
        p
        for p in statement_proposals(statement=statement)
        if p.line_id == line_id or p.confidence >= threshold
    ]
    lines = StatementLine.objects.in_bulk([p.line_id for p in chosen])
    payments = ScheduledPayment.objects.in_bulk([i for p in chosen for i in p.payment_ids])
    accepted, problems = 0, []
    for proposal in chosen:
        single = len(proposal.payment_ids) == 1
        parts = [
            (
                payments[i],
                proposal.amount if single else payments[i].amount - payments[i].reconciled_amount,
            )
            for i in proposal.payment_ids
        ]
        try:
            match_create(
                line=lines[proposal.line_id],
                parts=parts,
                by=by,
                rule=proposal.rule,
                confidence=proposal.confidence,
            )
            accepted += 1
        except ReconciliationConflict as exc:
            problems.append(f"Line {proposal.line_id}: {exc}")
    return accepted, problems


@transaction.atomic
def suggestion_reject(
    *, statement: BankStatement, line_id: int, by: AbstractBaseUser | None
) -> RejectedSuggestion:
    """Record that the suggestion for a line is wrong, so it is not offered again."""
    proposal = next(
        (p for p in statement_proposals(statement=statement) if p.line_id == line_id), None
    )
    if proposal is None:
        raise ReconciliationConflict("There is no suggestion for this line any more.")
    return RejectedSuggestion.objects.create(
        line_id=line_id, payment_ids=list(proposal.payment_ids), rule=proposal.rule, rejected_by=by
    )


@transaction.atomic
def statement_auto_reconcile(*, statement: BankStatement, by: AbstractBaseUser | None) -> int:
    """Apply the automatic proposals (pass 1, and invoice numbers with their exact
    amount); the others wait for a person."""
    applied = 0
    for line, invoice in invoice_proposals(statement=statement):
        invoice_match(
            line=line,
            invoice=invoice,
            amount=-line.amount,
            by=by,
            rule="invoice number",
            confidence=1.0,
        )
        applied += 1
    proposals = [p for p in statement_proposals(statement=statement) if p.automatic]
    lines = StatementLine.objects.in_bulk([p.line_id for p in proposals])
    payments = ScheduledPayment.objects.in_bulk([i for p in proposals for i in p.payment_ids])
    for proposal in proposals:
        match_create(
            line=lines[proposal.line_id],
            parts=[
                (payments[i], payments[i].amount - payments[i].reconciled_amount)
                for i in proposal.payment_ids
            ],
            by=by,
            rule=proposal.rule,
            confidence=proposal.confidence,
        )
    return applied + len(proposals)
