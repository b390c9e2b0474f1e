"""Each rule alone, and the whole for any rates (hypothesis)."""

import calendar
import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.rules import Rates, Situation, compute_lines, months_in_session, totals

RATES = Rates(
    tuition_cap=Decimal("3000.00"),
    books_full_time=Decimal("400.00"),
    books_part_time=Decimal("200.00"),
    living_single=Decimal("1100.00"),
    living_with_spouse=Decimal("1650.00"),
    living_per_dependant=Decimal("300.00"),
    housing_supplement=Decimal("450.00"),
    round_trips_per_session=1,
    childcare_per_dependant=Decimal("250.00"),
)
FALL = {"session_start": dt.date(2025, 8, 20), "session_end": dt.date(2025, 12, 20)}


def situation(**overrides) -> Situation:
    fields = {
        "full_time": True,
        "with_spouse": False,
        "dependants": 0,
        "away_from_home": True,
        "off_campus": True,
        "school_fee": Decimal("2500.00"),
        "community_fare": Decimal("2400.00"),
        "community": "Salluit",
        **FALL,
        **overrides,
    }
    return Situation(**fields)


def amounts(lines) -> dict[str, Decimal]:
    return {line.code: line.amount for line in lines}


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ((2025, 8, 20), (2025, 12, 20), 4),  # Aug 12/31 days no, Dec 20/31 yes
        ((2026, 1, 6), (2026, 5, 5), 4),  # Jan 26/31 yes, May 5/31 no
        ((2026, 5, 12), (2026, 7, 25), 3),
        ((2026, 2, 15), (2026, 2, 28), 1),  # 14 of 28 days: half counts
        ((2026, 2, 16), (2026, 2, 28), 0),
        ((2025, 9, 1), (2025, 9, 30), 1),
    ],
)
def test_a_month_counts_when_the_session_covers_half_its_days(start, end, months):
    assert months_in_session(dt.date(*start), dt.date(*end)) == months


def test_full_time_single_away_off_campus_gets_every_allowance():
    lines = compute_lines(RATES, situation())

    assert amounts(lines) == {
        "TUITION": Decimal("2500.00"),
        "BOOKS": Decimal("400.00"),
        "LIVING": Decimal("4400.00"),
        "HOUSING": Decimal("1800.00"),
        "TRAVEL": Decimal("2400.00"),
    }
    assert {line.code: line.payee for line in lines}["TUITION"] == "school"


def test_tuition_is_capped_and_says_so():
    line = compute_lines(RATES, situation(school_fee=Decimal("4200.00")))[0]

    assert (line.code, line.amount) == ("TUITION", Decimal("3000.00"))
    assert "capped" in line.rule


def test_tuition_without_a_fee_on_file_is_the_cap():
    assert amounts(compute_lines(RATES, situation(school_fee=None)))["TUITION"] == Decimal(
        "3000.00"
    )


def test_part_time_gets_tuition_part_time_books_and_travel_only():
    assert amounts(compute_lines(RATES, situation(full_time=False))) == {
        "TUITION": Decimal("2500.00"),
        "BOOKS": Decimal("200.00"),
        "TRAVEL": Decimal("2400.00"),
    }


def test_a_spouse_raises_the_living_allowance():
    assert amounts(compute_lines(RATES, situation(with_spouse=True)))["LIVING"] == Decimal(
        "6600.00"
    )


def test_dependants_add_living_and_childcare_per_month():
    lines = amounts(compute_lines(RATES, situation(dependants=2)))

    assert lines["DEPENDANTS"] == Decimal("2400.00")  # 2 × 4 months × 300
    assert lines["CHILDCARE"] == Decimal("2000.00")  # 2 × 4 months × 250


def test_studying_at_home_means_no_travel_and_no_housing():
    lines = amounts(compute_lines(RATES, situation(away_from_home=False, off_campus=False)))

    assert "TRAVEL" not in lines and "HOUSING" not in lines


def test_a_campus_residence_gets_travel_but_no_housing_supplement():
    lines = amounts(compute_lines(RATES, situation(off_campus=False)))

    assert "TRAVEL" in lines and "HOUSING" not in lines


def test_travel_is_the_fare_of_the_home_community():
    far = amounts(compute_lines(RATES, situation(community_fare=Decimal("3100.55"))))
    near = amounts(compute_lines(RATES, situation(community_fare=Decimal("1200.10"))))

    assert (far["TRAVEL"], near["TRAVEL"]) == (Decimal("3100.55"), Decimal("1200.10"))


def test_a_missing_fare_is_an_error_naming_the_community():
    with pytest.raises(ValueError, match="no return fare for Salluit"):
        compute_lines(RATES, situation(community_fare=None))


def test_a_session_of_partial_months_pays_the_counted_months():
    winter = {"session_start": dt.date(2026, 1, 20), "session_end": dt.date(2026, 4, 10)}
    # Jan 12/31 no, Feb, Mar yes, Apr 10/30 no: 2 months
    assert amounts(compute_lines(RATES, situation(**winter)))["LIVING"] == Decimal("2200.00")


def test_amounts_are_rounded_half_up_at_the_line():
    rates = Rates(**{**RATES.__dict__, "living_per_dependant": Decimal("100.125")})

    line = amounts(compute_lines(rates, situation(dependants=1)))["DEPENDANTS"]

    assert line == Decimal("400.52")  # unit 100.13 (half-up) × 4


cents = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


def months_counted_day_by_day(start: dt.date, end: dt.date) -> int:
    """The months of which the session holds at least half the days, found by walking
    the session a day at a time (not how ``months_in_session`` counts them)."""
    days_in = Counter()
    day = start
    while day <= end:
        days_in[day.year, day.month] += 1
        day += dt.timedelta(days=1)
    return sum(
        1
        for (year, month), days in days_in.items()
        if 2 * days >= calendar.monthrange(year, month)[1]
    )


def expected_payees(rates: Rates, case: Situation) -> tuple[Decimal, Decimal]:
    """(to the school, to the student) as the rules in ``billing/rules.py``'s docstring
    state them, computed from the inputs alone. Every input is whole cents and every
    quantity a whole number, so no amount needs rounding."""
    months = months_counted_day_by_day(case.session_start, case.session_end)
    school = (
        rates.tuition_cap if case.school_fee is None else min(case.school_fee, rates.tuition_cap)
    )
    student = rates.books_full_time if case.full_time else rates.books_part_time
    if case.full_time:
        monthly = rates.living_with_spouse if case.with_spouse else rates.living_single
        per_dependant = rates.living_per_dependant + rates.childcare_per_dependant
        student += months * (monthly + case.dependants * per_dependant)
        if case.away_from_home and case.off_campus:
            student += months * rates.housing_supplement
    if case.away_from_home:
        student += rates.round_trips_per_session * case.community_fare
    return school, student


@given(
    rates=st.builds(
        Rates,
        tuition_cap=cents,
        books_full_time=cents,
        books_part_time=cents,
        living_single=cents,
        living_with_spouse=cents,
        living_per_dependant=cents,
        housing_supplement=cents,
        round_trips_per_session=st.integers(0, 4),
        childcare_per_dependant=cents,
    ),
    full_time=st.booleans(),
    with_spouse=st.booleans(),
    dependants=st.integers(0, 12),
    away=st.booleans(),
    off_campus=st.booleans(),
    fee=st.none() | cents,
    fare=cents,
    start=st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 1)),
    days=st.integers(1, 200),
)
def test_the_school_and_the_student_get_what_the_rules_say_for_any_rates(
    rates, full_time, with_spouse, dependants, away, off_campus, fee, fare, start, days
):
    case = situation(
        full_time=full_time,
        with_spouse=with_spouse,
        dependants=dependants,
        away_from_home=away,
        off_campus=off_campus,
        school_fee=fee,
        community_fare=fare,
        session_start=start,
        session_end=start + dt.timedelta(days=days),
    )
    school, student = expected_payees(rates, case)

    lines = compute_lines(rates, case)

    assert totals(lines) == (school + student, school, student)
    assert {line.code for line in lines if line.payee == "school"} == {"TUITION"}
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in lines)
    assert all(isinstance(line.amount, Decimal) for line in lines)


def every_printed_text() -> list[str]:
    from billing import rules

    words = [*rules.KINDS.values(), rules.LIVING_SINGLE, rules.LIVING_WITH_SPOUSE]
    cases = [
        situation(),
        situation(school_fee=Decimal("4200.00")),
        situation(school_fee=None),
        situation(full_time=False),
        situation(with_spouse=True, dependants=2),
    ]
    return words + [line.rule_template for case in cases for line in compute_lines(RATES, case)]


@pytest.mark.parametrize("text", every_printed_text())
def test_every_label_and_explanation_a_line_prints_has_a_french_translation(text):
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext(text) != text


def test_an_explanation_keeps_its_template_and_values_apart():
    line = compute_lines(RATES, situation(school_fee=Decimal("4200.00")))[0]

    assert line.rule == "School fee 4200.00, cap 3000.00 (capped)."
    assert line.rule_template % line.rule_params == line.rule
    assert line.rule_params == {"fee": "4200.00", "cap": "3000.00"}
