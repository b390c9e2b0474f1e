"""Applying reconciliation: matches, write-offs and undo, each in one transaction, rows
locked in the order of avataq.locks (payments or invoices, then lines) so two finance users
working on one statement cannot double-match, and the loser is told why. The database
refuses a payment reconciled beyond its amount or a line matched beyond its own.

The proposals of a statement (``billing.matching``) are stored (``LineProposal``)
when it is imported (:func:`proposals_refresh`, called by the import once the lines are
stored and the automatic matches applied) and recomputed whenever a match changes what
they could be: a match, a write-off, an undo, a rejection — for the statement of the line,
and for every other statement whose proposals name a payment or invoice whose
reconciliation changed. The reconcile page only reads them.

Locks, always in this order: statement lines, then payments or invoices (each by primary
key), then the statements whose proposals are refreshed (by primary key). Lines, payments
and invoices are locked ``FOR NO KEY UPDATE``: storing a proposal that refers to a line
or an invoice another person holds must not wait for them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from avataq import locks
from avataq.bulk import copy_insert
from avataq.errors import AvataqError
from avataq.money import ZERO, format_money, money
from billing import matching
from billing.matching import CANDIDATES, SINGLE, Proposal
from billing.models import (
    BankStatement,
    LineProposal,
    Match,
    RejectedSuggestion,
    ScheduledPayment,
    SchoolInvoice,
    StatementLine,
)

Payment = ScheduledPayment.Status
MATCHABLE = ScheduledPayment.MATCHABLE_STATUSES  # shorter where queries read it
LOOKBACK_DAYS = 31  # payments due this long around a statement's dates are candidates
# Imports now refuse dates outside a sane window, but a line kept before (year 1) must not
# overflow the date arithmetic of the statement page: such a line is proposed nothing.
PROPOSABLE = (
    dt.date.min + dt.timedelta(days=LOOKBACK_DAYS),
    dt.date.max - dt.timedelta(days=LOOKBACK_DAYS),
)
INVOICE_MATCHABLE = SchoolInvoice.MATCHABLE_STATUSES
RULE_INVOICE = "invoice number"
RULE_INVOICE_PARTIAL = "invoice number, partial"
RULE_MANUAL = "manual"
RULE_WRITE_OFF = "write-off"

# The rules as people read them (proposals and matches store the English key).
RULE_LABELS = {
    matching.RULE_REFERENCE: gettext_lazy("reference"),
    matching.RULE_SPLIT: gettext_lazy("references, split"),
    matching.RULE_PARTIAL: gettext_lazy("reference, partial payment"),
    matching.RULE_ONE_OF_REFERENCES: gettext_lazy("one of the references named"),
    matching.RULE_STATUS: gettext_lazy("status number and amount"),
    matching.RULE_STATUS_DATE: gettext_lazy("status number, amount and date"),
    matching.RULE_NAME: gettext_lazy("amount, date and payee name"),
    matching.RULE_DATE: gettext_lazy("amount and date"),
    matching.RULE_BATCH: gettext_lazy("sum of one batch"),
    RULE_INVOICE: gettext_lazy("invoice number"),
    RULE_INVOICE_PARTIAL: gettext_lazy("invoice number, partial payment"),
    RULE_MANUAL: gettext_lazy("by hand"),
    RULE_WRITE_OFF: gettext_lazy("write-off"),
    # Matches made before candidates were offered.
    "amount and nearest date (several candidates)": gettext_lazy("amount and nearest date"),
}


def rule_label(rule: str) -> str:
    """A rule in the active language (a rule this release does not know, as stored)."""
    return str(RULE_LABELS.get(rule, rule))


class ReconciliationConflict(AvataqError):
    """The match cannot be made (already matched, amounts do not fit); the message says why,
    in the language of the person asking."""

    code = "reconciliation_conflict"


def _money(amount: Decimal) -> str:
    return format_money(amount, get_language() or "en")


def _remaining(line: StatementLine) -> Decimal:
    return abs(line.amount) - line.matched_amount


# --- applying matches to payments ----------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """One line settled with payments: ``parts`` are (payment id, amount)."""

    line_id: int
    parts: tuple[tuple[int, Decimal], ...]
    rule: str
    confidence: float | None


UNNEST = {"bigint": "SELECT unnest(%s::bigint[])", "varchar": "SELECT unnest(%s::varchar[])"}


def _each(values: Iterable, kind: str = "bigint") -> RawSQL:
    """``values`` for an ``__in`` lookup as one array parameter, however many they are
    (a list of tens of thousands of parameters costs seconds to build and to plan)."""
    return RawSQL(UNNEST[kind], (sorted(set(values)),))  # noqa: S611 - fixed SQL, one parameter


def _locked(model: type, ids: Iterable[int], fields: tuple[str, ...]) -> dict[int, tuple]:
    """``fields`` of the rows ``ids``, locked in primary-key order: the bulk path's form
    of :func:`avataq.locks.lock` (values, not models, for tens of thousands of rows), its
    callers keeping the same order (lines, then what they pay)."""
    query = model.objects.select_for_update(no_key=True).filter(pk__in=_each(ids)).order_by("pk")
    return {row[0]: row[1:] for row in query.values_list("pk", *fields)}


def _update(model: type, columns: dict[str, tuple[str, list]], ids: list[int]) -> None:
    """Set ``column`` = value per row, for many rows in one statement:
    ``columns`` maps a column to (PostgreSQL array type, values in the order of ``ids``)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = list(columns)
    assignments = ", ".join(f"{connection.ops.quote_name(n)} = v.{n}" for n in names)
    arrays = ", ".join(f"%s::{columns[n][0]}[]" for n in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names from the model
            f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(names)}) "
            "WHERE t.id = v.id",
            [ids, *(columns[n][1] for n in names)],
        )


def _apply(plans: list[Plan], *, by: AbstractBaseUser | None) -> list[int]:
    """Settle every plan, or none (:class:`ReconciliationConflict` naming the first that
    does not fit): payments then lines locked (the order of :mod:`avataq.locks`), each in
    primary-key order, each checked against
    what the plans before it took, then written in a few statements whatever their number.
    A payment fully covered becomes reconciled. The ids of the matches made."""
    if not plans:
        return []
    payments = _locked(
        ScheduledPayment,
        (i for p in plans for i, _ in p.parts),
        ("amount", "reconciled_amount", "status", "reference"),
    )
    lines = _locked(StatementLine, (p.line_id for p in plans), ("amount", "matched_amount"))
    line_left = {pk: abs(amount) - matched for pk, (amount, matched) in lines.items()}
    reconciled = {pk: row[1] for pk, row in payments.items()}
    status = {pk: row[2] for pk, row in payments.items()}
    matches = []
    for plan in plans:
        if not plan.parts:
            raise ReconciliationConflict(gettext("Choose at least one payment."))
        if any(amount <= ZERO for _, amount in plan.parts):
            raise ReconciliationConflict(
                gettext("Every part of a match must be a positive amount.")
            )
        total = sum((amount for _, amount in plan.parts), ZERO)
        if total > line_left[plan.line_id]:
            raise ReconciliationConflict(
                gettext("The line has %(left)s left to match; %(asked)s was asked.")
                % {"left": _money(line_left[plan.line_id]), "asked": _money(total)}
            )
        line_left[plan.line_id] -= total
        for payment_id, amount in plan.parts:
            full, _, _, reference = payments[payment_id]
            if status[payment_id] not in MATCHABLE or amount > full - reconciled[payment_id]:
                raise ReconciliationConflict(
                    gettext(
                        "Payment %(reference)s is already %(status)s or has less than "
                        "%(amount)s left to reconcile."
                    )
                    % {
                        "reference": reference,
                        "status": Payment(status[payment_id]).label.lower(),
                        "amount": _money(amount),
                    }
                )
            matches.append((plan.line_id, payment_id, amount, plan, status[payment_id]))
            reconciled[payment_id] += amount
            if reconciled[payment_id] == full:
                status[payment_id] = Payment.RECONCILED
    touched = sorted({payment_id for _, payment_id, *_ in matches})
    _update(
        ScheduledPayment,
        {
            "reconciled_amount": ("numeric", [reconciled[i] for i in touched]),
            "status": ("varchar", [status[i] for i in touched]),
        },
        touched,
    )
    settled = sorted({p.line_id for p in plans})
    left = [lines[i][0].copy_abs() - line_left[i] for i in settled]
    _update(StatementLine, {"matched_amount": ("numeric", left)}, settled)
    return _insert_matches(matches, by=by)


def _insert_matches(matches: list[tuple], *, by: AbstractBaseUser | None) -> list[int]:
    """Store (line id, payment id, amount, plan, payment's status before) as matches, in
    one statement whatever their number; their ids."""
    table = connection.ops.quote_name(Match._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (line_id, payment_id, amount, rule, confidence, "  # noqa: S608
            "previous_status, kind, reason, created_by_id, created_at) "
            "SELECT v.line_id, v.payment_id, v.amount, v.rule, v.confidence, v.previous, "
            "%s, '', %s, %s FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], "
            "%s::varchar[], %s::float8[], %s::varchar[]) "
            "AS v(line_id, payment_id, amount, rule, confidence, previous) RETURNING id",
            [
                Match.Kind.MATCH.value,
                by.pk if by is not None else None,
                timezone.now(),
                [m[0] for m in matches],
                [m[1] for m in matches],
                [m[2] for m in matches],
                [m[3].rule for m in matches],
                [m[3].confidence for m in matches],
                [m[4] for m in matches],
            ],
        )
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def match_create(
    *,
    line: StatementLine,
    parts: list[tuple[ScheduledPayment, Decimal]],
    by: AbstractBaseUser | None,
    rule: str = RULE_MANUAL,
    confidence: float | None = None,
) -> list[Match]:
    """Settle ``parts`` (payment, amount) with ``line``: a plain match, a split over several
    payments, or a partial payment. A payment fully covered becomes reconciled."""
    plan = Plan(line.pk, tuple((p.pk, money(amount)) for p, amount in parts), rule, confidence)
    matches = list(Match.objects.filter(pk__in=_apply([plan], by=by)).order_by("pk"))
    _follow(statements={line.statement_id}, payments={m.payment_id for m in matches})
    return matches


@transaction.atomic
def invoice_match(
    *,
    line: StatementLine,
    invoice: SchoolInvoice,
    amount: Decimal,
    by: AbstractBaseUser | None,
    rule: str = RULE_MANUAL,
    confidence: float | None = None,
) -> Match:
    """Settle (part of) a school invoice with a bank line; covered, it is reconciled."""
    match = _invoice_match(
        line=line, invoice=invoice, amount=amount, by=by, rule=rule, confidence=confidence
    )
    _follow(statements={line.statement_id}, invoices={invoice.pk})
    return match


def _invoice_match(
    *,
    line: StatementLine,
    invoice: SchoolInvoice,
    amount: Decimal,
    by: AbstractBaseUser | None,
    rule: str,
    confidence: float | None,
) -> Match:
    [invoice], [line] = locks.lock(
        SchoolInvoice.objects.filter(pk=invoice.pk), StatementLine.objects.filter(pk=line.pk)
    )
    amount = money(amount)
    if amount <= ZERO or amount > _remaining(line):
        raise ReconciliationConflict(
            gettext("The line has %(left)s left to match.") % {"left": _money(_remaining(line))}
        )
    if (
        invoice.status not in INVOICE_MATCHABLE
        or amount > invoice.total - invoice.reconciled_amount
    ):
        raise ReconciliationConflict(
            gettext(
                "Invoice %(invoice)s is %(status)s or has less than %(amount)s left to reconcile."
            )
            % {
                "invoice": invoice,
                "status": invoice.get_status_display().lower(),
                "amount": _money(amount),
            }
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


@transaction.atomic
def write_off(
    *, line: StatementLine, amount: Decimal, reason: str, by: AbstractBaseUser | None
) -> Match:
    """Close a small difference left on a line, with the reason (limit: setting)."""
    if not reason.strip():
        raise ReconciliationConflict(gettext("A write-off needs a reason."))
    line = locks.lock_one(StatementLine.objects.filter(pk=line.pk))
    amount = money(amount)
    limit = Decimal(str(getattr(settings, "RECONCILIATION_WRITE_OFF_LIMIT", "5.00")))
    if amount <= ZERO or amount > limit or amount > _remaining(line):
        raise ReconciliationConflict(
            gettext("A write-off is at most %(limit)s and what the line has left (%(left)s).")
            % {"limit": _money(limit), "left": _money(_remaining(line))}
        )
    line.matched_amount += amount
    line.save(update_fields=["matched_amount"])
    match = Match.objects.create(
        line=line,
        kind=Match.Kind.WRITE_OFF,
        amount=amount,
        reason=reason.strip(),
        rule=RULE_WRITE_OFF,
        created_by=by,
    )
    _follow(statements={line.statement_id})
    return match


@transaction.atomic
def match_undo(*, match: Match, by: AbstractBaseUser | None) -> Match:
    # What it matched, then the line, then the match itself: the order of avataq.locks
    # (which rows they are is known from the match read unlocked: they never change).
    [invoices, payments, [line], [match]] = locks.lock(
        SchoolInvoice.objects.filter(pk=match.invoice_id),
        ScheduledPayment.objects.filter(pk=match.payment_id),
        StatementLine.objects.filter(pk=match.line_id),
        Match.objects.filter(pk=match.pk),
    )
    if match.undone_at is not None:
        raise ReconciliationConflict(gettext("This match was already undone."))
    if match.kind == Match.Kind.RETURN or (payments and payments[0].status == Payment.RETURNED):
        raise ReconciliationConflict(
            gettext("The bank returned this payment: its matches stay as the statement shows.")
        )
    if match.invoice_id:
        invoice = invoices[0]
        invoice.reconciled_amount -= match.amount
        if invoice.status == SchoolInvoice.Status.RECONCILED:
            invoice.status = match.previous_status or SchoolInvoice.Status.PAID
        invoice.save(update_fields=["reconciled_amount", "status"])
    if match.payment_id:
        payment = payments[0]
        payment.reconciled_amount -= match.amount
        if payment.status == Payment.RECONCILED:
            payment.status = match.previous_status or Payment.PAID
        payment.save(update_fields=["reconciled_amount", "status"])
    line.matched_amount -= match.amount
    line.save(update_fields=["matched_amount"])
    match.undone_by, match.undone_at = by, timezone.now()
    match.save(update_fields=["undone_by", "undone_at"])
    _follow(
        statements={line.statement_id},
        payments={match.payment_id} - {None},
        invoices={match.invoice_id} - {None},
    )
    return match


# --- computing proposals ----------------------------------------------------------------
def _open_payments(statement: BankStatement, texts: list[str]) -> list[matching.OpenPayment]:
    """Open payments a statement can settle: due around its dates, or named by reference
    in its lines (a late payment is still found by its reference)."""
    named = {ref for text in texts for ref in matching.references(text)}
    fields = (  # read by position below
        "pk",
        "reference",
        "amount",
        "reconciled_amount",
        "due_date",
        "payee",
        "school_id",
        "school__name",
        "enrollment__student__status_no",
        "enrollment__student__first_name",
        "enrollment__student__last_name",
    )
    open_ = ScheduledPayment.objects.filter(status__in=MATCHABLE, amount__gt=F("reconciled_amount"))
    rows = []
    if statement.first_date and statement.last_date:
        margin = dt.timedelta(days=LOOKBACK_DAYS)
        first = max(statement.first_date, PROPOSABLE[0])
        last = min(statement.last_date, PROPOSABLE[1])
        rows = list(
            open_.filter(due_date__range=(first - margin, last + margin)).values_list(*fields)
        )
    named -= {row[1].upper() for row in rows}
    if named:  # late payments, named by their reference
        rows += open_.filter(reference__in=_each(named, "varchar")).values_list(*fields)
    return [
        matching.OpenPayment(
            id=row[0],
            reference=row[1],
            amount=row[2] - row[3],
            due=row[4],
            payee=row[5],
            status_no=row[8],
            payee_name=row[7] if row[6] else f"{row[9]} {row[10]}",
            school_id=row[6],
        )
        for row in rows
    ]


def _invoice_proposals(
    lines: list[matching.BankLine], rejected: set[tuple[int, tuple[int, ...]]]
) -> list[Proposal]:
    """Debit lines naming the number of one approved or paid invoice with that much left:
    exactly what is left (automatic), or less (a part payment, for a person)."""
    invoices: dict[str, list[tuple[int, Decimal]]] = {}
    for pk, number, left in SchoolInvoice.objects.filter(
        status__in=INVOICE_MATCHABLE, total__gt=F("reconciled_amount")
    ).values_list("pk", "invoice_number", F("total") - F("reconciled_amount")):
        invoices.setdefault(number.upper(), []).append((pk, left))
    found = []
    for line in lines:
        if (line.id, ()) in rejected:
            continue
        owed = -line.amount
        for token in sorted(matching.tokens(line.text)):
            fits = [(pk, left) for pk, left in invoices.get(token, ()) if owed <= left]
            if len(fits) == 1:
                pk, left = fits[0]
                exact = left == owed
                rule, confidence = (RULE_INVOICE, 1.0) if exact else (RULE_INVOICE_PARTIAL, 0.7)
                found.append(Proposal(line.id, (), owed, rule, confidence, SINGLE, pk))
                break
    return found


def statement_proposals(*, statement: BankStatement) -> list[Proposal]:
    """What the passes propose now for the statement's lines nothing is matched to yet:
    school invoices named by number first, then payments; never one a person rejected."""
    lines = [
        matching.BankLine(pk, booked_on, amount, f"{description} {reference}", counterparty)
        for pk, booked_on, amount, description, reference, counterparty in statement.lines.filter(
            matched_amount=0, amount__lt=0, booked_on__range=PROPOSABLE
        )
        .order_by("booked_on", "pk")
        .values_list("pk", "booked_on", "amount", "description", "reference", "counterparty")
    ]
    rejected = {
        (line_id, tuple(sorted(ids)))
        for line_id, ids in RejectedSuggestion.objects.filter(
            line__statement=statement
        ).values_list("line_id", "payment_ids")
    }
    invoices = _invoice_proposals(lines, rejected)
    taken = {p.line_id for p in invoices}
    rest = [line for line in lines if line.id not in taken]
    payments = matching.propose(
        rest, _open_payments(statement, [line.text for line in rest]), rejected=rejected
    )
    return invoices + payments


# --- storing proposals ----------------------------------------------------------------------
def _stored(proposal: Proposal) -> tuple:
    return (
        proposal.kind,
        tuple(proposal.payment_ids),
        proposal.invoice_id,
        proposal.amount,
        proposal.rule,
        proposal.confidence,
    )


@transaction.atomic
def proposals_refresh(*, statement: BankStatement) -> int:
    """Recompute and store the statement's proposals (only those that changed are
    written); returns how many it has. Two refreshes of one statement run one after
    the other (its row is locked)."""
    statement = locks.lock_one(BankStatement.objects.filter(pk=statement.pk))
    computed = {p.line_id: p for p in statement_proposals(statement=statement)}
    stale, kept = [], 0
    for pk, line_id, *values in LineProposal.objects.filter(statement=statement).values_list(
        "pk", "line_id", "kind", "payment_ids", "invoice_id", "amount", "rule", "confidence"
    ):
        values[1] = tuple(values[1])
        if line_id in computed and _stored(computed[line_id]) == tuple(values):
            del computed[line_id]  # stored already, unchanged
            kept += 1
        else:
            stale.append(pk)
    if stale:
        LineProposal.objects.filter(pk__in=_each(stale)).delete()
    copy_insert(  # COPY: an import stores tens of thousands at once
        LineProposal,
        (
            {
                "line_id": p.line_id,
                "statement_id": statement.pk,
                "kind": p.kind,
                "payment_ids": list(p.payment_ids),
                "invoice_id": p.invoice_id,
                "amount": p.amount,
                "rule": p.rule,
                "confidence": p.confidence,
            }
            for p in computed.values()
        ),
    )
    return kept + len(computed)


def _follow(
    *,
    statements: set[int],
    payments: set[int] = frozenset(),
    invoices: set[int] = frozenset(),
    skip: set[int] = frozenset(),
) -> None:
    """After reconciliation changed: refresh the proposals of ``statements`` and of every
    statement whose proposals name one of ``payments`` or ``invoices``."""
    naming = []
    if payments:  # one array parameter, however many payments
        ids = Value(sorted(payments), output_field=ArrayField(BigIntegerField()))
        naming.append(Q(payment_ids__overlap=ids))
    if invoices:
        naming.append(Q(invoice_id__in=sorted(invoices)))
    if naming:
        others = LineProposal.objects.filter(reduce(operator.or_, naming))
        statements = statements | set(others.values_list("statement_id", flat=True).distinct())
    for pk in sorted(statements - skip):
        proposals_refresh(statement=BankStatement(pk=pk))


# --- what people do with proposals ----------------------------------------------------------
def _proposal(statement: BankStatement, line_id: int | None) -> LineProposal:
    found = LineProposal.objects.filter(statement=statement, line_id=line_id).first()
    if found is None:
        raise ReconciliationConflict(gettext("There is no suggestion for this line any more."))
    return found


def _left(proposals: Iterable[LineProposal | Proposal]) -> dict[int, Decimal]:
    """What the payments of splits and batches have left to reconcile (one query)."""
    ids = [i for p in proposals if len(p.payment_ids) > 1 for i in p.payment_ids]
    if not ids:
        return {}
    return dict(
        ScheduledPayment.objects.filter(pk__in=_each(ids))
        .annotate(left=F("amount") - F("reconciled_amount"))
        .values_list("pk", "left")
    )


def _plan(proposal: LineProposal | Proposal, left: dict[int, Decimal]) -> Plan:
    """A single proposal as a plan: the line's amount for one payment (a part payment
    when less than it is owed), each payment's remainder for a split or a batch."""
    ids = list(proposal.payment_ids)
    parts = ((ids[0], proposal.amount),) if len(ids) == 1 else tuple((i, left[i]) for i in ids)
    return Plan(proposal.line_id, parts, proposal.rule, proposal.confidence)


def proposals_accept(
    *,
    statement: BankStatement,
    line_id: int | None,
    threshold: float,
    by: AbstractBaseUser | None,
) -> tuple[int, list[str]]:
    """Accept the (single) suggestion for one line, or every one at or above ``threshold``;
    each match in its own transaction, so one conflict does not undo the others; then the
    proposals are refreshed once. Candidates are never accepted this way: a person
    chooses one. (accepted, reasons for those refused)"""
    chosen = list(
        LineProposal.objects.filter(statement=statement, kind=LineProposal.Kind.SINGLE)
        .filter(Q(line_id=line_id) | Q(confidence__gte=threshold))
        .select_related("line", "invoice")
        .order_by("line_id")
    )
    left = _left(chosen)
    accepted, problems, touched, invoices = 0, [], set(), set()
    for proposal in chosen:
        try:
            with transaction.atomic():
                if proposal.invoice_id:
                    _invoice_match(
                        line=proposal.line,
                        invoice=proposal.invoice,
                        amount=proposal.amount,
                        by=by,
                        rule=proposal.rule,
                        confidence=proposal.confidence,
                    )
                    invoices.add(proposal.invoice_id)
                else:
                    _apply([_plan(proposal, left)], by=by)
                    touched.update(proposal.payment_ids)
            accepted += 1
        except ReconciliationConflict as exc:
            problems.append(
                gettext("Line of %(date)s, %(amount)s: %(problem)s")
                % {
                    "date": proposal.line.booked_on.isoformat(),
                    "amount": _money(proposal.line.amount),
                    "problem": exc,
                }
            )
    with transaction.atomic():
        _follow(statements={statement.pk}, payments=touched, invoices=invoices)
    return accepted, problems


@transaction.atomic
def proposal_choose(
    *, statement: BankStatement, line_id: int, payment_id: int, by: AbstractBaseUser | None
) -> list[Match]:
    """Settle a line with the one of its candidates a person chose."""
    proposal = _proposal(statement, line_id)
    if proposal.kind != CANDIDATES or payment_id not in proposal.payment_ids:
        raise ReconciliationConflict(gettext("This payment is not among the line's candidates."))
    plan = Plan(line_id, ((payment_id, proposal.amount),), proposal.rule, None)
    matches = list(Match.objects.filter(pk__in=_apply([plan], by=by)))
    _follow(statements={statement.pk}, payments={payment_id})
    return matches


@transaction.atomic
def suggestion_reject(
    *, statement: BankStatement, line_id: int, by: AbstractBaseUser | None
) -> RejectedSuggestion:
    """Record that the suggestion (or the candidates) for a line is wrong: it is not
    offered again, and the line's next best proposal, if any, takes its place."""
    proposal = _proposal(statement, line_id)
    rejection = RejectedSuggestion.objects.create(
        line_id=line_id,
        payment_ids=sorted(proposal.payment_ids),
        rule=proposal.rule,
        rejected_by=by,
    )
    _follow(statements={statement.pk})
    return rejection


@transaction.atomic
def statement_auto_reconcile(*, statement: BankStatement, by: AbstractBaseUser | None) -> int:
    """Apply the automatic proposals (references, splits, status numbers, invoice
    numbers with their exact amount), all in a few statements whatever their number; the
    others wait for a person. Other statements whose proposals named the payments now
    reconciled are refreshed; this one's proposals are the caller's next step
    (:func:`proposals_refresh`)."""
    automatic = [p for p in statement_proposals(statement=statement) if p.automatic]
    invoices = sorted((p for p in automatic if p.invoice_id), key=lambda p: p.line_id)
    for proposal in invoices:
        _invoice_match(
            line=StatementLine(pk=proposal.line_id),
            invoice=SchoolInvoice(pk=proposal.invoice_id),
            amount=proposal.amount,
            by=by,
            rule=proposal.rule,
            confidence=proposal.confidence,
        )
    singles = [p for p in automatic if not p.invoice_id]
    left = _left(singles)
    _apply([_plan(p, left) for p in singles], by=by)
    _follow(
        statements=set(),
        payments={i for p in singles for i in p.payment_ids},
        invoices={p.invoice_id for p in invoices},
        skip={statement.pk},
    )
    return len(automatic)
