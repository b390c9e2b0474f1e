"""When each amount of a sheet is paid (pure functions).

- monthly allowances (LIVING, DEPENDANTS, CHILDCARE, HOUSING): each counted month, on the
  rate schedule's payment day; a line's amount is split evenly over the months, the last
  month taking the remainder, so the payments add up to the line to the cent;
- books, travel, tuition (to the school) and manual adjustments: at the session's start.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from avataq.money import ZERO, money
from billing.rules import counted_months

MONTHLY = frozenset({"LIVING", "DEPENDANTS", "CHILDCARE", "HOUSING"})


@dataclass(frozen=True)
class Slot:
    code: str
    payee: str
    period: dt.date


@dataclass(frozen=True)
class Planned:
    slot: Slot
    due: dt.date
    amount: Decimal


def plan(
    lines: list, *, session_start: dt.date, session_end: dt.date, payment_day: int
) -> list[Planned]:
    """Payments a sheet's lines call for (``lines``: objects with code, payee, amount)."""
    months = counted_months(session_start, session_end)
    planned: list[Planned] = []
    for line in lines:
        if line.code in MONTHLY and months:
            each = money(line.amount / len(months))
            for index, month in enumerate(months):
                amount = each if index < len(months) - 1 else line.amount - each * (len(months) - 1)
                planned.append(
                    Planned(
                        Slot(line.code, line.payee, month), month.replace(day=payment_day), amount
                    )
                )
        else:
            planned.append(
                Planned(Slot(line.code, line.payee, session_start), session_start, line.amount)
            )
    merged: dict[Slot, Planned] = {}
    for item in planned:
        if item.slot in merged:
            previous = merged[item.slot]
            merged[item.slot] = Planned(item.slot, previous.due, previous.amount + item.amount)
        else:
            merged[item.slot] = item
    return list(merged.values())


def differences(
    planned: list[Planned], already: dict[Slot, Decimal], *, today: dt.date
) -> list[Planned]:
    """What to schedule now so each slot adds up to the plan, given what earlier revisions
    already scheduled, sent or paid there: only the difference, positive (a raise) or
    negative (a cut, an adjustment against what follows); nothing twice."""
    wanted: dict[Slot, Planned] = {p.slot: p for p in planned}
    result = []
    for slot in sorted(set(wanted) | set(already), key=lambda s: (s.period, s.code, s.payee)):
        target = wanted[slot].amount if slot in wanted else ZERO
        delta = target - already.get(slot, ZERO)
        if delta != ZERO:
            due = max(wanted[slot].due if slot in wanted else slot.period, today)
            result.append(Planned(slot, due, delta))
    return result


def totals_by_slot(payments: list) -> dict[Slot, Decimal]:
    """Sum of existing payments (objects with code, payee, period, amount) per slot."""
    sums: dict[Slot, Decimal] = defaultdict(lambda: ZERO)
    for payment in payments:
        sums[Slot(payment.code, payment.payee, payment.period)] += payment.amount
    return dict(sums)
