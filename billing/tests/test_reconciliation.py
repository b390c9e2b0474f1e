"""The automatic matching passes, one by one, then on a generated statement."""

import datetime as dt
from decimal import Decimal

from bench.reconciliation_data import generate, score
from billing.reconciliation import BankLine, OpenPayment, propose

DAY = dt.date(2025, 9, 1)


def payment(
    id,
    amount="1100.00",
    due=DAY,
    ref=None,
    status_no="12345",
    name="Annie Qumaluk",
    payee="student",
    school_id=None,
):
    return OpenPayment(
        id,
        ref or f"AVQ-2025F-{status_no}-{id:02d}",
        Decimal(amount),
        due,
        payee,
        status_no,
        name,
        school_id,
    )


def line(id, amount, text, date=DAY, counterparty=""):
    return BankLine(id, date, Decimal(amount), text, counterparty)


def test_a_reference_with_the_same_amount_is_an_automatic_match():
    [proposal] = propose([line(1, "-1100.00", "VIREMENT AVQ-2025F-12345-01")], [payment(1)])

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == ((1,), "reference", True)


def test_a_status_number_with_one_payment_of_that_amount_is_automatic():
    [proposal] = propose(
        [line(1, "-1100.00", "DEPOT 12345 ALLOCATION")], [payment(1), payment(2, amount="450.00")]
    )

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == (
        (1,),
        "status number and amount",
        True,
    )


def test_a_status_number_with_two_payments_of_that_amount_is_not_guessed_automatically():
    proposals = propose(
        [line(1, "-1100.00", "DEPOT 12345")],
        [payment(1), payment(2, due=DAY + dt.timedelta(days=30))],
    )

    assert not any(p.automatic for p in proposals)


def test_a_smaller_amount_with_a_reference_is_a_partial_payment_for_a_person():
    [proposal] = propose([line(1, "-600.00", "AVQ-2025F-12345-01")], [payment(1)])

    assert (proposal.rule, proposal.amount, proposal.automatic) == (
        "reference, partial",
        Decimal("600.00"),
        False,
    )


def test_amount_date_and_name_match_without_a_reference_needs_a_person():
    payments = [payment(1), payment(2, name="Jaaji Tukalak", status_no="67890")]

    [proposal] = propose(
        [line(1, "-1100.00", "VIREMENT", DAY + dt.timedelta(days=3), "JAAJI TUKALAK")], payments
    )

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == (
        (2,),
        "amount, date and payee name",
        False,
    )


def test_nothing_is_proposed_outside_the_date_window():
    assert (
        propose([line(1, "-1100.00", "VIREMENT", DAY + dt.timedelta(days=9))], [payment(1)]) == []
    )
    assert (
        len(
            propose(
                [line(1, "-1100.00", "VIREMENT", DAY + dt.timedelta(days=9))],
                [payment(1)],
                window_days=10,
            )
        )
        == 1
    )


def test_one_line_for_a_schools_batch_matches_the_sum():
    batch = [
        payment(i, amount="2500.00", payee="school", school_id=3, name="John Abbott College")
        for i in (1, 2, 3)
    ]

    [proposal] = propose(
        [line(9, "-7500.00", "PAIEMENT GROUPE", DAY + dt.timedelta(days=1))], batch
    )

    assert (proposal.payment_ids, proposal.rule) == ((1, 2, 3), "sum of one batch")


def test_a_payment_is_never_proposed_twice():
    proposals = propose(
        [line(1, "-1100.00", "AVQ-2025F-12345-01"), line(2, "-1100.00", "AVQ-2025F-12345-01")],
        [payment(1)],
    )

    assert [p.line_id for p in proposals] == [1]


def test_money_coming_in_is_not_matched_to_payments():
    assert propose([line(1, "1100.00", "AVQ-2025F-12345-01")], [payment(1)]) == []


def test_on_a_generated_statement_automatic_matches_are_right_and_most_lines_match():
    data = generate(3000)

    result = score(data, propose(data.lines, data.payments))

    assert result.high_confidence > 0.7 * result.matchable
    assert result.precision >= 0.995
    assert result.recall >= 0.95
