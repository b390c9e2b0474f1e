"""Automatic matching of bank lines to scheduled payments: pure functions over plain data,
near-linear (everything is found through indexes by reference, status number, amount, day
and name word; no line is compared with every payment).

A proposal is either one ``single`` suggestion (one payment, or several settled together:
a split or a batch) or ``candidates``: payments that fit the line equally well, for a
person to choose from. Only a single proposal of confidence ``AUTOMATIC`` or more may
reconcile without a person; several equal fits are never resolved by picking one.

Passes, in order; each payment is in one single proposal at most (candidates reserve
nothing), and a proposal a person rejected is never made again:

1. References (``AVQ-2025F-12345-03``) named in the line's text. The payments named, all
   open, for exactly the line's amount: one — ``reference``, 1.0; several — ``references,
   split``, 1.0 (both automatic). One reference for more than the line: a partial payment
   (0.7). Otherwise the one named payment of exactly the line's amount (0.8), or those
   named payments as candidates. A line that names a reference is settled by its
   references or left to a person: it never falls back to the status number or the
   amount, which found other payments of the same student.
2. A status number (the lines naming no reference): that student's one open payment of
   the line's amount — 0.97, automatic; several, one of them due within the window — 0.9;
   else those payments as candidates.
3. The payee's name (from the counterparty, else from the description: most Canadian
   CSVs have no counterparty), accents and case ignored, among the payments of the same
   amount due within the window (default ±5 days): the one whose whole name the line
   carries — 0.85; the one sharing the most name words with it — 0.8; a tie — candidates.
4. Amount and date alone: one payment in the window — 0.6; a few — candidates; many —
   nothing (the person searches).
5. One line for the sum of a whole batch (the payments of one payee kind, school and due
   date) within the window — 0.75, when only one batch fits.

Money out is negative on a statement: a line of -1,100.00 settles a payment of 1,100.00.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

AUTOMATIC = 0.95
MAX_CANDIDATES = 5  # more equal fits than this is no suggestion: the person searches
TOKEN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
# A payment reference as ``services._next_references`` writes it: AVQ-{session}-{status}-{nn}.
REFERENCE = re.compile(r"AVQ-[0-9]{4}[A-Z]-[0-9]+-[0-9]{2,}")
NAME_WORD = re.compile(r"[^\W\d_]{3,}")  # letters of any script, three or more

SINGLE = "single"
CANDIDATES = "candidates"

# Rules, as stored on proposals and matches (``matching.RULE_LABELS`` says them to people).
RULE_REFERENCE = "reference"
RULE_SPLIT = "references, split"
RULE_PARTIAL = "reference, partial"
RULE_ONE_OF_REFERENCES = "one of the references named"
RULE_STATUS = "status number and amount"
RULE_STATUS_DATE = "status number, amount and date"
RULE_NAME = "amount, date and payee name"
RULE_DATE = "amount and date"
RULE_BATCH = "sum of one batch"
CANDIDATES_CONFIDENCE = 0.4


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
    amount: Decimal  # what is left to reconcile
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
    payment_ids: tuple[int, ...]  # single: settled together; candidates: one of them
    amount: Decimal
    rule: str
    confidence: float
    kind: str = SINGLE
    invoice_id: int | None = None  # a school invoice instead (``billing.reconciliation``)

    @property
    def automatic(self) -> bool:
        return self.kind == SINGLE and self.confidence >= AUTOMATIC

    @property
    def key(self) -> tuple[int, tuple[int, ...]]:
        """What a rejection is recorded against: the line and the payments offered."""
        return (self.line_id, tuple(sorted(self.payment_ids)))


def tokens(text: str) -> set[str]:
    found = set(TOKEN.findall((text or "").upper()))
    return found | {part for token in found for part in token.split("-")}


def _ordered_tokens(text: str) -> list[str]:
    """The line's tokens and their hyphen-separated parts, in reading order, once each."""
    seen: dict[str, None] = {}
    for token in TOKEN.findall(text.upper()):
        seen[token] = None
        for part in token.split("-"):
            seen[part] = None
    return list(seen)


def references(text: str) -> list[str]:
    """Payment references named in ``text``, in order, once each (upper case)."""
    return list(dict.fromkeys(REFERENCE.findall((text or "").upper())))


def fold(text: str) -> str:
    """``text`` upper case without accents: ``Élisapie`` and ``ELISAPIE`` read alike."""
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def name_words(text: str) -> frozenset[str]:
    """The words of a name (three letters or more), accents and case ignored."""
    return frozenset(NAME_WORD.findall(fold(text or "")))


def _nearest(payments: Iterable[OpenPayment], day: dt.date) -> list[OpenPayment]:
    return sorted(payments, key=lambda p: (abs((p.due - day).days), p.due, p.id))


def propose(
    lines: list[BankLine],
    payments: list[OpenPayment],
    *,
    window_days: int = 5,
    rejected: set[tuple[int, tuple[int, ...]]] | frozenset = frozenset(),
) -> list[Proposal]:
    """One proposal at most per line (see the module's docstring). ``rejected`` holds the
    keys (:attr:`Proposal.key`) of proposals a person refused: they are not made again."""
    return _Passes(payments, window_days, rejected).run(lines)


class _Passes:
    def __init__(
        self, payments: list[OpenPayment], window_days: int, rejected: set | frozenset
    ) -> None:
        self.window = dt.timedelta(days=window_days)
        self.days = sorted(range(-window_days, window_days + 1), key=lambda d: (abs(d), d))
        self.rejected = rejected
        # A payment of a rejected proposal is not offered to that line again, in any form.
        self.refused: dict[int, set[int]] = defaultdict(set)
        for line_id, ids in rejected:
            self.refused[line_id].update(ids)
        self.used: set[int] = set()
        self.proposals: dict[int, Proposal] = {}
        self.by_reference = {p.reference.upper(): p for p in payments}
        self.by_status: dict[str, list[OpenPayment]] = defaultdict(list)
        self.by_amount_due: dict[tuple[Decimal, dt.date], list[OpenPayment]] = defaultdict(list)
        self.batches: dict[tuple, list[OpenPayment]] = defaultdict(list)
        for payment in payments:
            self.by_status[payment.status_no].append(payment)
            self.by_amount_due[(payment.amount, payment.due)].append(payment)
            self.batches[payment.batch].append(payment)
        self.by_total: dict[Decimal, list[tuple]] = defaultdict(list)
        for key, members in self.batches.items():
            if len(members) > 1:
                self.by_total[sum(p.amount for p in members)].append(key)

    def offer(self, proposal: Proposal | None) -> bool:
        """Keep ``proposal`` unless a person rejected it; a single one reserves its
        payments. True when kept."""
        if proposal is None or proposal.key in self.rejected:
            return False
        self.proposals[proposal.line_id] = proposal
        if proposal.kind == SINGLE:
            self.used.update(proposal.payment_ids)
        return True

    def free(self, payments: Iterable[OpenPayment]) -> list[OpenPayment]:
        return [p for p in payments if p.id not in self.used]

    def for_line(self, line: BankLine, payments: Iterable[OpenPayment]) -> list[OpenPayment]:
        """``payments`` not reserved and not refused for ``line`` by a person."""
        refused = self.refused.get(line.id, ())
        return [p for p in payments if p.id not in self.used and p.id not in refused]

    def near(self, index: dict, key: tuple, line: BankLine) -> list[OpenPayment]:
        """:meth:`live` for ``line``: up to one more than ``MAX_CANDIDATES`` it may take."""
        refused = self.refused.get(line.id, ())
        found = self.live(index, key, MAX_CANDIDATES + len(refused))
        return [p for p in found if p.id not in refused] if refused else found

    def live(self, index: dict, key: tuple, limit: int = MAX_CANDIDATES) -> list[OpenPayment]:
        """Up to ``limit + 1`` payments of ``index[key]`` not reserved yet (one more than
        ``limit`` says "too many"). The reserved ones met on the way are pruned from the
        index: a busy day's list is walked once, not once per line."""
        payments = index.get(key)
        if not payments:
            return []
        free: list[OpenPayment] = []
        for position, payment in enumerate(payments):
            if payment.id not in self.used:
                free.append(payment)
                if len(free) > limit:
                    if len(free) <= position:
                        index[key] = free + payments[position + 1 :]
                    return free
        if len(free) < len(payments):
            index[key] = free
        return free

    def days_with(self, owed: Decimal, date: dt.date) -> list[dt.date]:
        """The days of the window, nearest first, on which a payment of ``owed`` is due."""
        days = (date + dt.timedelta(offset) for offset in self.days)
        return [day for day in days if (owed, day) in self.by_amount_due]

    def candidates(
        self, line: BankLine, owed: Decimal, payments: list[OpenPayment], rule: str
    ) -> Proposal | None:
        if not 1 < len(payments) <= MAX_CANDIDATES:
            return None
        ids = tuple(p.id for p in _nearest(payments, line.date))
        return Proposal(line.id, ids, owed, rule, CANDIDATES_CONFIDENCE, CANDIDATES)

    def run(self, lines: list[BankLine]) -> list[Proposal]:
        debits = [(line, -line.amount) for line in lines if line.amount < 0]
        # A line is "settled" by a pass when no later pass may look at it: it got a
        # proposal, or it names what it pays (references, a student) without a fit.
        settled: set[int] = set()
        named = [(line, owed, references(line.text)) for line, owed in debits]
        for line, owed, refs in named:  # 1: references, before anything is reserved
            if refs:
                settled.add(line.id)
                self.offer(self.by_references(line, owed, refs))
        for line, owed, refs in named:  # 2: status numbers
            if not refs and self.by_status_number(line, owed):
                settled.add(line.id)
        rest = [(line, owed) for line, owed in debits if line.id not in settled]
        self.index_names()
        after_names = []
        for line, owed in rest:  # 3: payee names, before any amount-only reservation
            if not self.by_name(line, owed):
                after_names.append((line, owed))
        for line, owed in after_names:  # 4 then 5
            if not self.by_amount_and_date(line, owed):
                self.by_batch(line, owed)
        return [self.proposals[line.id] for line in lines if line.id in self.proposals]

    # --- 1 -------------------------------------------------------------------------------
    def by_references(self, line: BankLine, owed: Decimal, refs: list[str]) -> Proposal | None:
        known = [self.by_reference[r] for r in refs if r in self.by_reference]
        free = self.for_line(line, known)
        if len(free) == len(refs):  # every payment named is open and not proposed already
            total = sum((p.amount for p in free), Decimal(0))
            ids = tuple(p.id for p in free)
            if total == owed:
                rule = RULE_REFERENCE if len(free) == 1 else RULE_SPLIT
                return Proposal(line.id, ids, owed, rule, 1.0)
            if len(free) == 1 and owed < total:
                return Proposal(line.id, ids, owed, RULE_PARTIAL, 0.7)
        exact = [p for p in free if p.amount == owed]
        if len(exact) == 1:
            return Proposal(line.id, (exact[0].id,), owed, RULE_ONE_OF_REFERENCES, 0.8)
        return self.candidates(line, owed, exact, RULE_ONE_OF_REFERENCES)

    # --- 2 -------------------------------------------------------------------------------
    def by_status_number(self, line: BankLine, owed: Decimal) -> bool:
        """True when the line names a student with an open payment of its amount (it is
        then settled here, with or without a proposal)."""
        students = [w for w in _ordered_tokens(line.text) if w.isdigit() and w in self.by_status]
        same = self.for_line(
            line,
            {p.id: p for s in students for p in self.by_status[s] if p.amount == owed}.values(),
        )
        if not same:
            return False
        if len(same) == 1:
            self.offer(Proposal(line.id, (same[0].id,), owed, RULE_STATUS, 0.97))
            return True
        near = [p for p in same if abs(p.due - line.date) <= self.window]
        if len(near) == 1:
            self.offer(Proposal(line.id, (near[0].id,), owed, RULE_STATUS_DATE, 0.9))
        else:
            self.offer(self.candidates(line, owed, near or same, RULE_STATUS))
        return True

    # --- 3 -------------------------------------------------------------------------------
    def index_names(self) -> None:
        """Payments by (name words, amount, due date), and which names hold each word."""
        self.by_names: dict[tuple, list[OpenPayment]] = defaultdict(list)
        self.vocabulary: dict[str, set[frozenset[str]]] = defaultdict(set)
        names = lru_cache(maxsize=None)(name_words)  # a payee has many payments
        for payments in self.by_amount_due.values():
            for payment in self.free(payments):
                words = names(payment.payee_name)
                if words:
                    self.by_names[(words, payment.amount, payment.due)].append(payment)
                    for word in words:
                        self.vocabulary[word].add(words)

    def by_name(self, line: BankLine, owed: Decimal) -> bool:
        """True when the line's words name payees of its amount in the window (it then
        goes no further, even when too many fit to suggest one)."""
        words = name_words(line.counterparty) or name_words(line.text)
        days = self.days_with(owed, line.date) if words else []
        if not days:
            return False
        # The payees whose whole name the line carries, the longest names first; else
        # those sharing the most words with it. The first level holding a payment decides.
        names = {name for word in words for name in self.vocabulary.get(word, ())}
        ranked = sorted(names, key=lambda n: (n <= words, len(n & words)), reverse=True)
        found: list[OpenPayment] = []
        level = None
        for name in ranked:
            if found and (name <= words, len(name & words)) != level:
                break
            for day in days:
                found += self.near(self.by_names, (name, owed, day), line)
                if len(found) > MAX_CANDIDATES:
                    return True
            if found:
                level = (name <= words, len(name & words))
        if not found:
            return False
        if len(found) == 1:
            whole = level is not None and level[0]
            return self.offer(
                Proposal(line.id, (found[0].id,), owed, RULE_NAME, 0.85 if whole else 0.8)
            )
        return self.offer(self.candidates(line, owed, found, RULE_NAME))

    # --- 4 -------------------------------------------------------------------------------
    def by_amount_and_date(self, line: BankLine, owed: Decimal) -> bool:
        """True when the line fits payments by amount and date (one, a few, or too many to
        suggest any): it then goes no further."""
        near: list[OpenPayment] = []
        for day in self.days_with(owed, line.date):  # nearest first; stop at too many
            near += self.near(self.by_amount_due, (owed, day), line)
            if len(near) > MAX_CANDIDATES:
                return True
        if len(near) == 1:
            self.offer(Proposal(line.id, (near[0].id,), owed, RULE_DATE, 0.6))
        else:
            self.offer(self.candidates(line, owed, near, RULE_DATE))
        return bool(near)

    # --- 5 -------------------------------------------------------------------------------
    def by_batch(self, line: BankLine, owed: Decimal) -> None:
        fits = [
            key
            for key in self.by_total.get(owed, ())
            if abs(key[2] - line.date) <= self.window
            and len(self.for_line(line, self.batches[key])) == len(self.batches[key])
        ]
        if len(fits) == 1:
            ids = tuple(sorted(p.id for p in self.batches[fits[0]]))
            self.offer(Proposal(line.id, ids, owed, RULE_BATCH, 0.75))
