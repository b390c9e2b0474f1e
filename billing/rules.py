"""What the program pays for one enrollment in one session: pure functions over plain data,
so every rule can be tested alone and the whole with any rates (hypothesis).

Months of a session: a calendar month counts when the session covers at least half of its
days (Aug 20 – Dec 20 counts September to December: 4 months).

Rules:
- TUITION (to the school): the school's fee for the session, at most the tuition cap; the
  cap itself when no fee is on file.
- BOOKS (student): the full-time or part-time amount, once per session.
- LIVING (student, full-time): monthly — the single amount, or the amount with a spouse
  (married or common-law) — plus an amount per dependant, × months.
- HOUSING (student, full-time): monthly supplement × months, when studying away from the
  home community and living off campus.
- TRAVEL (student): round trips per session × the fare of the home community, when
  studying away from it.
- CHILDCARE (student, full-time): per dependant per month × months.
Part-time loads get tuition, part-time books and travel, no monthly allowance.
Every amount is rounded half-up to the cent at the line (avataq.money).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_noop as N_

from avataq.money import ZERO, money

SCHOOL, STUDENT = "school", "student"


@dataclass(frozen=True)
class Rates:
    tuition_cap: Decimal
    books_full_time: Decimal
    books_part_time: Decimal
    living_single: Decimal
    living_with_spouse: Decimal
    living_per_dependant: Decimal
    housing_supplement: Decimal
    round_trips_per_session: int
    childcare_per_dependant: Decimal


@dataclass(frozen=True)
class Situation:
    full_time: bool
    with_spouse: bool
    dependants: int
    away_from_home: bool
    off_campus: bool
    session_start: dt.date
    session_end: dt.date
    school_fee: Decimal | None
    community_fare: Decimal | None
    community: str = ""


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    payee: str
    rule: str


def months_in_session(start: dt.date, end: dt.date) -> int:
    """Calendar months of which the session covers at least half the days."""
    if end < start:
        return 0
    months, year, month = 0, start.year, start.month
    while (year, month) <= (end.year, end.month):
        days = calendar.monthrange(year, month)[1]
        first = max(start, dt.date(year, month, 1))
        last = min(end, dt.date(year, month, days))
        if 2 * ((last - first).days + 1) >= days:
            months += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def counted_months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every counted month (when the monthly allowances fall)."""
    found, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        days = calendar.monthrange(year, month)[1]
        first = max(start, dt.date(year, month, 1))
        last = min(end, dt.date(year, month, days))
        if 2 * ((last - first).days + 1) >= days:
            found.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _line(
    code: str, label: str, quantity: Decimal | int, unit: Decimal, payee: str, rule: str
) -> Line:
    quantity, unit = Decimal(quantity), money(unit)
    return Line(code, label, quantity, unit, money(quantity * unit), payee, rule)


def compute_lines(rates: Rates, situation: Situation) -> list[Line]:
    months = months_in_session(situation.session_start, situation.session_end)
    lines: list[Line] = []
    if situation.school_fee is None:
        lines.append(_line("TUITION", N_("Tuition"), 1, rates.tuition_cap, SCHOOL,
                           "No school fee on file: the tuition cap."))  # fmt: skip
    else:
        fee = min(situation.school_fee, rates.tuition_cap)
        capped = " (capped)" if situation.school_fee > rates.tuition_cap else ""
        lines.append(_line("TUITION", N_("Tuition"), 1, fee, SCHOOL,
                           f"School fee {money(situation.school_fee)}, cap "
                           f"{money(rates.tuition_cap)}{capped}."))  # fmt: skip
    if situation.full_time:
        lines.append(_line("BOOKS", N_("Books and supplies"), 1, rates.books_full_time, STUDENT,
                           "Full-time amount, once per session."))  # fmt: skip
    else:
        lines.append(_line("BOOKS", N_("Books and supplies"), 1, rates.books_part_time, STUDENT,
                           "Part-time amount, once per session."))  # fmt: skip
    if situation.full_time and months:
        if situation.with_spouse:
            lines.append(_line("LIVING", N_("Living allowance (with spouse)"), months,
                               rates.living_with_spouse, STUDENT,
                               f"Monthly amount with a spouse × {months} months."))  # fmt: skip
        else:
            lines.append(_line("LIVING", N_("Living allowance (single)"), months,
                               rates.living_single, STUDENT,
                               f"Monthly single amount × {months} months."))  # fmt: skip
        if situation.dependants:
            per = f"{situation.dependants} dependant(s) × {months} months."
            count = situation.dependants * months
            lines.append(_line("DEPENDANTS", N_("Living allowance, dependants"), count,
                               rates.living_per_dependant, STUDENT, per))  # fmt: skip
            lines.append(_line("CHILDCARE", N_("Childcare"), count,
                               rates.childcare_per_dependant, STUDENT, per))  # fmt: skip
        if situation.away_from_home and situation.off_campus:
            rule = f"Away, off campus: monthly × {months} months."
            lines.append(_line("HOUSING", N_("Housing supplement"), months,
                               rates.housing_supplement, STUDENT, rule))  # fmt: skip
    if situation.away_from_home and rates.round_trips_per_session:
        if situation.community_fare is None:
            raise ValueError(f"no return fare for {situation.community or 'the home community'}")
        lines.append(_line("TRAVEL", N_("Travel"), rates.round_trips_per_session,
                           situation.community_fare, STUDENT,
                           f"{rates.round_trips_per_session} round trip(s) × the fare from "
                           f"{situation.community or 'the home community'}."))  # fmt: skip
    return [line for line in lines if line.amount != ZERO or line.code == "TUITION"]


def totals(lines: list[Line] | list) -> tuple[Decimal, Decimal, Decimal]:
    """(total, to the school, to the student), exact sums of the rounded lines."""
    school = sum((line.amount for line in lines if line.payee == SCHOOL), ZERO)
    student = sum((line.amount for line in lines if line.payee == STUDENT), ZERO)
    return school + student, school, student
