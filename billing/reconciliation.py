"""Automatic matching of bank lines to scheduled payments: pure functions over plain data,
near-linear (everything is found through indexes by reference, status number, amount and
batch total; no line is compared with every payment).

Passes, in order; a line or a payment is proposed once at most:

1. a payment reference (``AVQ-2025F-12345-03``) among the line's tokens, amount equal —
   confidence 1.0; or the student's status number among the tokens with exactly one open
   payment of that amount — 0.97. Only this pass is ``automatic`` (may reconcile without
   a person). A reference with a smaller amount is a *partial* payment (0.7).
2. same amount, due within the date window (default ±5 days): one candidate whose payee
   name matches the counterparty — 0.85; one candidate — 0.6; several — the nearest, 0.4.
3. one line equal to the sum of a batch (the payments of one payee kind, school and due
   date), within the window — 0.75.

Money out is negative on a statement: a line of -1,100.00 settles a payment of 1,100.00.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

AUTOMATIC = 0.95
TOKEN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")


@dataclass(frozen=True)
class BankLine:
    id: int
    date: dt.date
    amount: Decimal
    text: str
    counterparty: str = ""


@dataclass(frozen=True)
class OpenPayment:
    id: int
    reference: str
    amount: Decimal
    due: dt.date
    payee: str  # "student" or "school"
    status_no: str
    payee_name: str
    school_id: int | None = None

    @property
    def batch(self) -> tuple:
        return (self.payee, self.school_id, self.due)


@dataclass(frozen=True)
class Proposal:
    line_id: int
    payment_ids: tuple[int, ...]
    amount: Decimal
    rule: str
    confidence: float

    @property
    def automatic(self) -> bool:
        return self.confidence >= AUTOMATIC


def tokens(text: str) -> set[str]:
    found = set(TOKEN.findall((text or "").upper()))
    return found | {part for token in found for part in token.split("-")}


def _names(text: str) -> set[str]:
    return {t for t in re.findall(r"[A-Z]+", (text or "").upper()) if len(t) > 2}


def propose(
    lines: list[BankLine], payments: list[OpenPayment], *, window_days: int = 5
) -> list[Proposal]:
    window = dt.timedelta(days=window_days)
    by_reference = {p.reference.upper(): p for p in payments}
    by_status: dict[str, list[OpenPayment]] = defaultdict(list)
    by_amount_due: dict[tuple[Decimal, dt.date], list[OpenPayment]] = defaultdict(list)
    batches: dict[tuple, list[OpenPayment]] = defaultdict(list)
    for payment in payments:
        by_status[payment.status_no].append(payment)
        by_amount_due[(payment.amount, payment.due)].append(payment)
        batches[payment.batch].append(payment)
    used: set[int] = set()
    proposals: list[Proposal] = []
    remaining: list[BankLine] = []

    # Pass 1: references and status numbers.
    for line in lines:
        owed = -line.amount
        if owed <= 0:
            continue  # money in: not a payment of ours
        words = tokens(line.text)
        proposal = None
        for word in words:
            payment = by_reference.get(word)
            if payment is None or payment.id in used:
                continue
            if payment.amount == owed:
                proposal = Proposal(line.id, (payment.id,), owed, "reference", 1.0)
            elif owed < payment.amount:
                proposal = Proposal(line.id, (payment.id,), owed, "reference, partial", 0.7)
            break
        if proposal is None:
            for word in words:
                if word.isdigit() and word in by_status:
                    same = [p for p in by_status[word] if p.amount == owed and p.id not in used]
                    if len(same) == 1:
                        proposal = Proposal(
                            line.id, (same[0].id,), owed, "status number and amount", 0.97
                        )
                        break
        if proposal:
            used.update(proposal.payment_ids)
            proposals.append(proposal)
        else:
            remaining.append(line)

    # Pass 2: same amount within the window, the payee's name helping. Candidates come
    # from indexes by (name word, amount) and (amount, due day), walked from the nearest day
    # outwards and stopping at the second one: the work per line does not grow with the
    # number of payments sharing an amount.
    by_name: dict[tuple[str, Decimal, dt.date], list[OpenPayment]] = defaultdict(list)
    for payment in payments:
        if payment.id not in used:
            for word in _names(payment.payee_name):
                by_name[(word, payment.amount, payment.due)].append(payment)
    days = sorted(range(-window_days, window_days + 1), key=abs)
    still: list[BankLine] = []
    for line in remaining:
        owed = -line.amount
        dates = [line.date + dt.timedelta(days=offset) for offset in days]
        named = {
            p.id: p
            for word in _names(line.counterparty or line.text)
            for day in dates
            for p in by_name.get((word, owed, day), ())
            if p.id not in used
        }
        if len(named) == 1:
            chosen, rule, confidence = (
                next(iter(named.values())),
                "amount, date and payee name",
                0.85,
            )
        else:
            nearest: list[OpenPayment] = []
            for day in dates:
                for candidate in by_amount_due.get((owed, day), ()):
                    if candidate.id not in used:
                        nearest.append(candidate)
                        if len(nearest) == 2:
                            break
                if len(nearest) == 2:
                    break
            if not nearest:
                still.append(line)
                continue
            if len(nearest) == 1:
                chosen, rule, confidence = nearest[0], "amount and date", 0.6
            else:
                chosen = nearest[0]
                rule, confidence = "amount and nearest date (several candidates)", 0.4
        used.add(chosen.id)
        proposals.append(Proposal(line.id, (chosen.id,), owed, rule, confidence))

    # Pass 3: one line for a whole batch (a school paid for several students at once).
    by_total: dict[Decimal, list[tuple]] = defaultdict(list)
    for key, members in batches.items():
        if len(members) > 1:
            by_total[sum(p.amount for p in members)].append(key)
    for line in still:
        owed = -line.amount
        for key in by_total.get(owed, ()):
            members = batches[key]
            if any(p.id in used for p in members) or abs(key[2] - line.date) > window:
                continue
            used.update(p.id for p in members)
            proposals.append(
                Proposal(
                    line.id, tuple(sorted(p.id for p in members)), owed, "sum of one batch", 0.75
                )
            )
            break
    return proposals
