"""The automatic matching passes, one by one, then on a generated statement."""

import datetime as dt
from decimal import Decimal

from bench.reconciliation_data import generate, score
from billing.matching import BankLine, OpenPayment, propose

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


# --- a line that names references is settled by them, or left to a person -----------------
def test_a_line_naming_references_that_add_up_is_one_automatic_split():
    payments = [payment(1), payment(2), payment(3, amount="2200.00")]

    [proposal] = propose(
        [line(1, "-2200.00", "VIREMENT AVQ-2025F-12345-01 AVQ-2025F-12345-02")], payments
    )

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == (
        (1, 2),
        "references, split",
        True,
    )


def test_a_line_naming_references_is_never_matched_to_another_payment_of_the_student():
    payments = [payment(1), payment(2, amount="450.00"), payment(3, amount="2200.00")]

    proposals = propose(
        [line(1, "-2200.00", "VIREMENT AVQ-2025F-12345-01 AVQ-2025F-12345-02")], payments
    )

    assert proposals == []


def test_a_line_naming_a_reference_no_longer_open_is_not_matched_to_another_payment():
    # AVQ-2025F-12345-09 was reconciled already: it is not among the open payments.
    proposals = propose([line(1, "-1100.00", "VIREMENT AVQ-2025F-12345-09")], [payment(1)])

    assert proposals == []


def test_one_of_several_references_named_with_the_lines_amount_is_for_a_person():
    payments = [payment(1), payment(2, amount="450.00")]

    [proposal] = propose([line(1, "-1100.00", "AVQ-2025F-12345-01 AVQ-2025F-12345-02")], payments)

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == (
        (1,),
        "one of the references named",
        False,
    )


# --- names, read from the description when the bank gives no counterparty -------------------
def test_a_payee_named_only_in_the_description_is_found_accents_and_case_ignored():
    payments = [
        payment(1, name="Élisapie Tukalak"),
        payment(2, name="Annie Tukalak", status_no="2"),
    ]

    [proposal] = propose([line(1, "-1100.00", "VIREMENT INTERAC ELISAPIE TUKALAK")], payments)

    assert (proposal.payment_ids, proposal.rule, proposal.confidence) == (
        (1,),
        "amount, date and payee name",
        0.85,
    )


def test_the_counterparty_names_the_payee_when_the_bank_gives_one():
    payments = [
        payment(1, name="Élisapie Tukalak"),
        payment(2, name="Annie Qumaluk", status_no="2"),
    ]

    [proposal] = propose(
        [line(1, "-1100.00", "VIREMENT INTERAC", counterparty="annie qumaluk")], payments
    )

    assert proposal.payment_ids == (2,)


# --- several fits: candidates for a person, never a coin flip --------------------------------
def test_payments_that_fit_a_line_equally_are_candidates_never_the_suggestion():
    payments = [payment(1, name="Annie Qumaluk"), payment(2, name="Jaaji Okpik", status_no="2")]

    [proposal] = propose([line(1, "-1100.00", "VIREMENT", DAY + dt.timedelta(days=1))], payments)

    assert (proposal.kind, set(proposal.payment_ids), proposal.automatic) == (
        "candidates",
        {1, 2},
        False,
    )


def test_two_lines_fitting_the_same_payments_are_both_offered_the_choice():
    payments = [payment(1, name="Annie Qumaluk"), payment(2, name="Jaaji Okpik", status_no="2")]

    proposals = propose(
        [line(1, "-1100.00", "VIREMENT"), line(2, "-1100.00", "VIREMENT")], payments
    )

    assert [(p.kind, set(p.payment_ids)) for p in proposals] == [("candidates", {1, 2})] * 2


def test_two_payees_whose_names_the_line_carries_equally_are_candidates():
    payments = [payment(1, name="Annie Tukalak"), payment(2, name="Annie Okpik", status_no="2")]

    [proposal] = propose([line(1, "-1100.00", "VIREMENT ANNIE")], payments)

    assert (proposal.kind, set(proposal.payment_ids)) == ("candidates", {1, 2})


def test_more_payments_fitting_equally_than_a_person_can_compare_is_no_suggestion():
    payments = [payment(i, status_no=str(i)) for i in range(1, 8)]

    assert propose([line(1, "-1100.00", "VIREMENT")], payments) == []


def test_a_status_number_with_several_payments_of_the_amount_takes_the_one_due_near_the_line():
    payments = [payment(1), payment(2, due=DAY + dt.timedelta(days=30))]

    [proposal] = propose(
        [line(1, "-1100.00", "DEPOT 12345", DAY + dt.timedelta(days=31))], payments
    )

    assert (proposal.payment_ids, proposal.rule, proposal.automatic) == (
        (2,),
        "status number, amount and date",
        False,
    )


def test_a_rejected_proposal_is_not_made_again_and_its_payment_stays_free():
    payments = [payment(1, name="Annie Qumaluk")]
    lines = [line(1, "-1100.00", "VIREMENT ANNIE QUMALUK"), line(2, "-1100.00", "VIREMENT")]

    proposals = propose(lines, payments, rejected={(1, (1,))})

    assert [(p.line_id, p.payment_ids) for p in proposals] == [(2, (1,))]


def test_on_a_generated_statement_every_automatic_match_is_right_and_most_lines_are_suggested():
    data = generate(3000)

    result = score(data, propose(data.lines, data.payments))

    assert result.precision == 1.0
    assert result.recall >= 0.7  # matched automatically, and right
    assert result.suggestion_precision == 1.0
    assert result.suggestion_recall >= 0.85  # a single suggestion, and the right one
    assert result.candidates_holding_truth == result.candidates
