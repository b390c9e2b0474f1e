"""A generated reconciliation data set: N scheduled payments, and a bank statement derived
from them with realistic noise, plus the truth to score the matching passes against.

Students have four payments each and one name (Inuit and French names, some accented:
``Élisapie``, ``Lucassie Nappaaluk``); half of their payments are living allowances of a
round amount due on the first of the month, so many payees share an amount and a day.
School tuition comes in a few amounts on fixed days.

Per paid payment, the bank line carries:

- its reference, and the payee's name (70 %): half with the counterparty, half with the
  name only in the description, upper case without accents, as banks print it;
- no reference, the name only in the description (12 %);
- no reference, the name only as the counterparty (4 %);
- the student's status number instead (4 %);
- nothing but the amount (4 %) — for a round allowance, many payees fit;
- or the payment is paid with the student's next one in one line naming both references
  (6 %); a third of those students have another open payment of exactly that sum (the
  trap the status-number rule fell into).

Dates are 0–4 days after the due date; school tuition of one school and due date is
partly merged into one debit; 3 % are not paid yet; fees and deposits are added.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from billing.matching import CANDIDATES, BankLine, OpenPayment, Proposal

FIRST = ["Annie", "Jaaji", "Élisapie", "Lucassie", "Mary", "Noah", "Siasi", "Tomasi", "Éva"]
LAST = ["Qumaluk", "Tukalak", "Annanack", "Nappaaluk", "Okpik", "Saunders", "Étok", "Munick"]
ALLOWANCES = ["1100.00", "1650.00"]


@dataclass
class DataSet:
    payments: list[OpenPayment]
    lines: list[BankLine]
    truth: dict[int, frozenset[int]]  # line id → the payments it really settles


def _bank(name: str) -> str:
    """A name as a bank prints it: upper case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _payments(rng: random.Random, payment_count: int) -> list[OpenPayment]:
    payments: list[OpenPayment] = []
    start = dt.date(2025, 9, 1)
    for i in range(payment_count):
        status_no = str(100000 + i // 4)
        if i % 4 == 0:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        school = rng.random() < 0.2
        if school:
            amount = Decimal(rng.choice(["2500.00", "2900.00", "3100.00"]))
            amount += Decimal(rng.randrange(0, 100)) / 100
            due = start + dt.timedelta(days=14 * rng.randrange(0, 8))
        elif rng.random() < 0.5:  # a living allowance: round, on the first of a month
            amount = Decimal(rng.choice(ALLOWANCES))
            due = dt.date(2025, 9 + rng.randrange(0, 4), 1)
        else:
            amount = Decimal(rng.choice(["1100.00", "1650.00", "450.00", "400.00", "2400.00"]))
            amount += Decimal(rng.randrange(0, 100)) / 100
            due = start + dt.timedelta(days=rng.randrange(0, 120))
        payments.append(
            OpenPayment(
                id=i + 1,
                reference=f"AVQ-2025F-{status_no}-{i % 4 + 1:02d}",
                amount=amount,
                due=due,
                payee="school" if school else "student",
                status_no=status_no,
                payee_name=f"College {i % 12}" if school else name,
                school_id=(i % 12) if school else None,
            )
        )
    return payments


def generate(payment_count: int, *, seed: int = 7) -> DataSet:
    rng = random.Random(seed)
    payments = _payments(rng, payment_count)
    lines: list[BankLine] = []
    truth: dict[int, frozenset[int]] = {}

    def add(date: dt.date, amount: Decimal, text: str, counterparty: str, paid: list) -> None:
        line_id = len(lines) + 1
        lines.append(BankLine(line_id, date, amount, text, counterparty))
        if paid:
            truth[line_id] = frozenset(p.id for p in paid)

    batches: dict[tuple, list[OpenPayment]] = {}
    for payment in payments:
        if payment.payee == "school" and rng.random() < 0.5:
            batches.setdefault(payment.batch, []).append(payment)
    batched = {p.id for members in batches.values() if len(members) > 1 for p in members}
    together: set[int] = set()
    traps: list[OpenPayment] = []
    for index, payment in enumerate(payments):
        if payment.id in batched or payment.id in together or rng.random() < 0.03:
            continue  # merged into a batch or a two-reference line, or not paid yet
        when = payment.due + dt.timedelta(days=rng.randrange(0, 5))
        name, roll = _bank(payment.payee_name), rng.random()
        following = payments[index + 1] if index + 1 < len(payments) else None
        if (
            roll >= 0.94
            and payment.payee == "student"
            and following is not None
            and following.status_no == payment.status_no
            and following.payee == "student"
            and following.id not in batched
        ):
            together.add(following.id)
            total = payment.amount + following.amount
            text = f"VIREMENT {payment.reference} {following.reference} {name}"
            later = max(payment.due, following.due) + dt.timedelta(days=rng.randrange(0, 5))
            add(later, -total, text, "", [payment, following])
            if rng.random() < 1 / 3:  # the same student is owed exactly that sum too
                traps.append(
                    OpenPayment(
                        id=payment_count + len(traps) + 1,
                        reference=f"AVQ-2025F-{payment.status_no}-{91 + index % 4}",
                        amount=total,
                        due=later,
                        payee="student",
                        status_no=payment.status_no,
                        payee_name=payment.payee_name,
                    )
                )
            continue
        if roll < 0.70:
            text = f"VIREMENT {payment.reference} {name}"
            counterparty = payment.payee_name if rng.random() < 0.5 else ""
        elif roll < 0.82:
            text, counterparty = f"VIREMENT INTERAC {name}", ""
        elif roll < 0.86:
            text, counterparty = "VIREMENT", payment.payee_name
        elif roll < 0.90:
            text, counterparty = f"DEPOT {payment.status_no} ALLOCATION", ""
        else:
            text, counterparty = "VIREMENT", ""
        add(when, -payment.amount, text, counterparty, [payment])
    for members in batches.values():
        if len(members) > 1:
            total = sum(p.amount for p in members)
            text = f"PAIEMENT GROUPE {_bank(members[0].payee_name)}"
            add(members[0].due + dt.timedelta(days=1), -total, text, "", members)
    start = dt.date(2025, 9, 1)
    for _ in range(max(3, payment_count // 50)):  # fees and unrelated lines
        amount = (
            -Decimal(rng.choice(["2.50", "12.00", "35.75"]))
            if rng.random() < 0.7
            else Decimal("5000.00")
        )
        when = start + dt.timedelta(days=rng.randrange(0, 120))
        add(when, amount, "FRAIS DE SERVICE" if amount < 0 else "DEPOT", "", [])
    rng.shuffle(lines)
    return DataSet(payments + traps, lines, truth)


@dataclass
class Score:
    matchable: int  # lines that settle payments
    automatic: int
    automatic_wrong: int
    suggested: int  # single proposals, automatic or not
    suggested_right: int
    candidates: int  # lines offered a choice
    candidates_holding_truth: int

    @property
    def precision(self) -> float:
        """Of the automatic matches, the share that is right (must be 1)."""
        return 1 - self.automatic_wrong / self.automatic if self.automatic else 1.0

    @property
    def recall(self) -> float:
        """Of the lines that settle payments, the share matched automatically and right."""
        return (self.automatic - self.automatic_wrong) / self.matchable if self.matchable else 1.0

    @property
    def suggestion_precision(self) -> float:
        return self.suggested_right / self.suggested if self.suggested else 1.0

    @property
    def suggestion_recall(self) -> float:
        """Share of the lines whose single proposal (automatic or for a person) is right."""
        return self.suggested_right / self.matchable if self.matchable else 1.0


def score(data: DataSet, proposals: list[Proposal]) -> Score:
    def right(p: Proposal) -> bool:
        return data.truth.get(p.line_id) == frozenset(p.payment_ids)

    singles = [p for p in proposals if p.kind != CANDIDATES]
    choices = [p for p in proposals if p.kind == CANDIDATES]
    automatic = [p for p in singles if p.automatic]
    return Score(
        matchable=len(data.truth),
        automatic=len(automatic),
        automatic_wrong=sum(1 for p in automatic if not right(p)),
        suggested=len(singles),
        suggested_right=sum(1 for p in singles if right(p)),
        candidates=len(choices),
        candidates_holding_truth=sum(
            1
            for p in choices
            if len(data.truth.get(p.line_id, ())) == 1
            and next(iter(data.truth[p.line_id])) in p.payment_ids
        ),
    )


# --- a CSV statement paying real scheduled payments (the page and import benchmarks) ------
@dataclass(frozen=True)
class Paid:
    reference: str
    amount: Decimal
    due: dt.date
    status_no: str
    payee_name: str


def statement_csv(payments: list[Paid], *, lines: int, seed: int = 7) -> bytes:
    """A bank's CSV (``Date,Description,Amount``, no counterparty column, as most Canadian
    banks export) of ``lines`` lines paying ``payments`` in order: the reference (60 %), two
    references of one student in one line (6 %), the payee's name only (12 %), the status
    number (6 %), nothing but the amount (8 %), or a bank fee (8 %)."""
    rng = random.Random(seed)
    rows, index = ["Date,Description,Amount"], 0
    while len(rows) <= lines and index < len(payments):
        payment, roll = payments[index], rng.random()
        index += 1
        when = payment.due + dt.timedelta(days=rng.randrange(0, 5))
        following = payments[index] if index < len(payments) else None
        if roll < 0.06 and following is not None and following.status_no == payment.status_no:
            index += 1
            text = f"VIREMENT {payment.reference} {following.reference}"
            amount = payment.amount + following.amount
            when = max(payment.due, following.due) + dt.timedelta(days=rng.randrange(0, 5))
        elif roll < 0.66:
            text, amount = (
                f"VIREMENT {payment.reference} {_bank(payment.payee_name)}",
                payment.amount,
            )
        elif roll < 0.78:
            text, amount = f"VIREMENT INTERAC {_bank(payment.payee_name)}", payment.amount
        elif roll < 0.84:
            text, amount = f"DEPOT {payment.status_no} ALLOCATION", payment.amount
        elif roll < 0.92:
            text, amount = "VIREMENT", payment.amount
        else:
            text, amount = "FRAIS DE SERVICE", Decimal("2.50")
            index -= 1  # this payment is paid by a later line
        rows.append(f"{when:%Y-%m-%d},{text},-{amount}")
    return ("\n".join(rows) + "\n").encode()
