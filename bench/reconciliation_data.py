"""A generated reconciliation data set: N scheduled payments, and a bank statement derived
from them with realistic noise, plus the truth to score the automatic passes against.

Noise, per line: references kept (78 %), lost (only the payee's name and the amount
remain, 14 %), the status number instead of the reference (4 %); dates 0–4 days after the
due date; school tuition of one school and due date merged into one debit; unpaid
payments (no line); bank fees and unrelated lines.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from billing.reconciliation import BankLine, OpenPayment, Proposal

FIRST = ["Annie", "Jaaji", "Elisapie", "Lucassie", "Mary", "Noah", "Siasi", "Tomasi", "Eva"]
LAST = ["Qumaluk", "Tukalak", "Annanack", "Nappaaluk", "Okpik", "Saunders", "Etok", "Munick"]


@dataclass
class DataSet:
    payments: list[OpenPayment]
    lines: list[BankLine]
    truth: dict[int, frozenset[int]]  # line id → the payments it really settles


def generate(payment_count: int, *, seed: int = 7) -> DataSet:
    rng = random.Random(seed)
    payments: list[OpenPayment] = []
    start = dt.date(2025, 9, 1)
    for i in range(payment_count):
        status_no = str(100000 + i // 4)
        school = rng.random() < 0.2
        due = start + dt.timedelta(days=rng.randrange(0, 120))
        amount = Decimal(rng.choice(["1100.00", "1650.00", "450.00", "400.00", "2400.00"]))
        if school:
            amount = Decimal(rng.choice(["2500.00", "2900.00", "3100.00"]))
            due = start + dt.timedelta(days=14 * rng.randrange(0, 8))
        payments.append(
            OpenPayment(
                id=i + 1,
                reference=f"AVQ-2025F-{status_no}-{i % 100:02d}",
                amount=amount + Decimal(rng.randrange(0, 100)) / 100,
                due=due,
                payee="school" if school else "student",
                status_no=status_no,
                payee_name=f"College {i % 12}"
                if school
                else f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                school_id=(i % 12) if school else None,
            )
        )
    lines: list[BankLine] = []
    truth: dict[int, frozenset[int]] = {}
    batches: dict[tuple, list[OpenPayment]] = {}
    for payment in payments:
        if payment.payee == "school" and rng.random() < 0.5:
            batches.setdefault(payment.batch, []).append(payment)
    batched = {p.id for members in batches.values() if len(members) > 1 for p in members}
    for payment in payments:
        if payment.id in batched or rng.random() < 0.03:  # merged below, or not paid yet
            continue
        roll = rng.random()
        when = payment.due + dt.timedelta(days=rng.randrange(0, 5))
        if roll < 0.78:
            text = f"VIREMENT {payment.reference} {payment.payee_name.upper()}"
        elif roll < 0.92:
            text = f"VIREMENT {payment.payee_name.upper()}"
        else:
            text = f"DEPOT {payment.status_no} ALLOCATION"
        line_id = len(lines) + 1
        lines.append(BankLine(line_id, when, -payment.amount, text, payment.payee_name))
        truth[line_id] = frozenset({payment.id})
    for members in batches.values():
        if len(members) < 2:
            continue
        line_id = len(lines) + 1
        total = sum(p.amount for p in members)
        lines.append(
            BankLine(
                line_id,
                members[0].due + dt.timedelta(days=1),
                -total,
                f"PAIEMENT GROUPE {members[0].payee_name.upper()}",
                members[0].payee_name,
            )
        )
        truth[line_id] = frozenset(p.id for p in members)
    for _ in range(max(3, payment_count // 50)):  # fees and unrelated lines
        line_id = len(lines) + 1
        amount = (
            -Decimal(rng.choice(["2.50", "12.00", "35.75"]))
            if rng.random() < 0.7
            else Decimal("5000.00")
        )
        lines.append(
            BankLine(
                line_id,
                start + dt.timedelta(days=rng.randrange(0, 120)),
                amount,
                "FRAIS DE SERVICE" if amount < 0 else "DEPOT",
            )
        )
    rng.shuffle(lines)
    return DataSet(payments, lines, truth)


@dataclass
class Score:
    high_confidence: int
    high_confidence_wrong: int
    matchable: int
    matched_right: int

    @property
    def precision(self) -> float:
        return (
            1 - self.high_confidence_wrong / self.high_confidence if self.high_confidence else 1.0
        )

    @property
    def recall(self) -> float:
        return self.matched_right / self.matchable if self.matchable else 1.0


def score(data: DataSet, proposals: list[Proposal]) -> Score:
    high = [p for p in proposals if p.automatic]
    wrong = sum(1 for p in high if data.truth.get(p.line_id) != frozenset(p.payment_ids))
    right = sum(1 for p in proposals if data.truth.get(p.line_id) == frozenset(p.payment_ids))
    return Score(len(high), wrong, len(data.truth), right)
