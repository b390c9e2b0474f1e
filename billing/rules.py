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
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

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


# Every word a line prints, marked for translation (xgettext knows gettext_noop): the
# sheet stores English and the PDF translates when it prints.
KINDS = {
    "TUITION": gettext_noop("Tuition"),
    "BOOKS": gettext_noop("Books and supplies"),
    "LIVING": gettext_noop("Living allowance"),
    "DEPENDANTS": gettext_noop("Living allowance, dependants"),
    "CHILDCARE": gettext_noop("Childcare"),
    "HOUSING": gettext_noop("Housing supplement"),
    "TRAVEL": gettext_noop("Travel"),
    "ADJ": gettext_noop("Adjustment"),
}
LIVING_SINGLE = gettext_noop("Living allowance (single)")
LIVING_WITH_SPOUSE = gettext_noop("Living allowance (with spouse)")
# Explanations: templates with named values, so each language can say them its own way.
NO_FEE = gettext_noop("No school fee on file: the tuition cap.")
FEE = gettext_noop("School fee %(fee)s, cap %(cap)s.")
FEE_CAPPED = gettext_noop("School fee %(fee)s, cap %(cap)s (capped).")
BOOKS_FULL = gettext_noop("Full-time amount, once per session.")
BOOKS_PART = gettext_noop("Part-time amount, once per session.")
MONTHLY_SPOUSE = gettext_noop("Monthly amount with a spouse × %(months)s months.")
MONTHLY_SINGLE = gettext_noop("Monthly single amount × %(months)s months.")
PER_DEPENDANT = gettext_noop("%(dependants)s dependant(s) × %(months)s months.")
HOUSING = gettext_noop("Away, off campus: monthly × %(months)s months.")
TRIPS = gettext_noop("%(trips)s round trip(s) × the fare from %(community)s.")
# Explanation values that are amounts (printed as money in the reader's language).
MONEY_PARAMS = frozenset({"fee", "cap"})


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    payee: str
    rule: str
    rule_template: str = ""
    rule_params: dict[str, str | int] = field(default_factory=dict)


def months_in_session(start: dt.date, end: dt.date) -> int:
    """Calendar months of which the session covers at least half the days."""
    return len(counted_months(start, end))


def counted_months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every calendar month of which the session covers at least half
    the days (when the monthly allowances fall); none when it ends before it starts."""
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
    code: str,
    label: str,
    quantity: Decimal | int,
    unit: Decimal,
    payee: str,
    rule: str,
    **params: Decimal | int | str,
) -> Line:
    """A line; ``rule`` is an explanation template, ``params`` its values."""
    quantity, unit = Decimal(quantity), money(unit)
    stored = {k: str(money(v)) if k in MONEY_PARAMS else v for k, v in params.items()}
    return Line(
        code, label, quantity, unit, money(quantity * unit), payee, rule % stored, rule, stored
    )


def compute_lines(rates: Rates, situation: Situation) -> list[Line]:
    months = months_in_session(situation.session_start, situation.session_end)
    lines: list[Line] = []
    if situation.school_fee is None:
        lines.append(_line("TUITION", KINDS["TUITION"], 1, rates.tuition_cap, SCHOOL, NO_FEE))
    else:
        fee = min(situation.school_fee, rates.tuition_cap)
        rule = FEE_CAPPED if situation.school_fee > rates.tuition_cap else FEE
        lines.append(
            _line(
                "TUITION",
                KINDS["TUITION"],
                1,
                fee,
                SCHOOL,
                rule,
                fee=situation.school_fee,
                cap=rates.tuition_cap,
            )
        )
    if situation.full_time:
        lines.append(_line("BOOKS", KINDS["BOOKS"], 1, rates.books_full_time, STUDENT, BOOKS_FULL))
    else:
        lines.append(_line("BOOKS", KINDS["BOOKS"], 1, rates.books_part_time, STUDENT, BOOKS_PART))
    if situation.full_time and months:
        if situation.with_spouse:
            lines.append(
                _line(
                    "LIVING",
                    LIVING_WITH_SPOUSE,
                    months,
                    rates.living_with_spouse,
                    STUDENT,
                    MONTHLY_SPOUSE,
                    months=months,
                )
            )
        else:
            lines.append(
                _line(
                    "LIVING",
                    LIVING_SINGLE,
                    months,
                    rates.living_single,
                    STUDENT,
                    MONTHLY_SINGLE,
                    months=months,
                )
            )
        if situation.dependants:
            count = situation.dependants * months
            per = {"dependants": situation.dependants, "months": months}
            lines.append(
                _line(
                    "DEPENDANTS",
                    KINDS["DEPENDANTS"],
                    count,
                    rates.living_per_dependant,
                    STUDENT,
                    PER_DEPENDANT,
                    **per,
                )
            )
            lines.append(
                _line(
                    "CHILDCARE",
                    KINDS["CHILDCARE"],
                    count,
                    rates.childcare_per_dependant,
                    STUDENT,
                    PER_DEPENDANT,
                    **per,
                )
            )
        if situation.away_from_home and situation.off_campus:
            lines.append(
                _line(
                    "HOUSING",
                    KINDS["HOUSING"],
                    months,
                    rates.housing_supplement,
                    STUDENT,
                    HOUSING,
                    months=months,
                )
            )
    if situation.away_from_home and rates.round_trips_per_session:
        if situation.community_fare is None:
            raise ValueError(f"no return fare for {situation.community or 'the home community'}")
        lines.append(
            _line(
                "TRAVEL",
                KINDS["TRAVEL"],
                rates.round_trips_per_session,
                situation.community_fare,
                STUDENT,
                TRIPS,
                trips=rates.round_trips_per_session,
                community=situation.community or "the home community",
            )
        )
    return [line for line in lines if line.amount != ZERO or line.code == "TUITION"]


def totals(lines: list[Line] | list) -> tuple[Decimal, Decimal, Decimal]:
    """(total, to the school, to the student), exact sums of the rounded lines."""
    school = sum((line.amount for line in lines if line.payee == SCHOOL), ZERO)
    student = sum((line.amount for line in lines if line.payee == STUDENT), ZERO)
    return school + student, school, student
