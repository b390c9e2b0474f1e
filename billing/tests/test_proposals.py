"""Stored proposals: computed when a statement is imported, refreshed whenever a match
changes what they can be, and what a person does with them."""

import datetime as dt
import importlib
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from billing import reconciliation, services
from billing.models import BankAccount, LineProposal, Match, ScheduledPayment, StatementLine
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def living_payments(status_no: str, first_name: str, last_name: str) -> list[ScheduledPayment]:
    """A student's fall 2025 sheet, validated: four living payments of 1,100.00 due on the
    1st of September to December."""
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(
        status="approved",
        student__status_no=status_no,
        student__first_name=first_name,
        student__last_name=last_name,
        session__scholar_year=rates.scholar_year,
    )
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))
    return list(enrollment.payments.filter(code="LIVING").order_by("period"))


def account() -> BankAccount:
    return BankAccount.objects.get_or_create(
        name="Ops",
        defaults={
            "institution": "Desjardins",
            "account_number": "4567",
            "csv_mapping": {"date": "Date", "description": "Description", "amount": "Amount"},
        },
    )[0]


def statement(*rows: str, name: str = "sept.csv", reconcile: bool = False):
    """A statement imported from CSV rows "date,description,amount" (its proposals
    stored, as the import does)."""
    data = ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()
    if reconcile:
        imported, _ = services.statement_import_and_reconcile(
            account=account(), data=data, filename=name, source_format="csv"
        )
    else:
        imported = services.statement_import(
            account=account(), data=data, filename=name, source_format="csv"
        )
    reconciliation.proposals_refresh(statement=imported)  # what the import does once stored
    return imported


def proposal_of(line: StatementLine) -> LineProposal | None:
    return LineProposal.objects.filter(line=line).first()


@pytest.fixture
def annie():
    return living_payments("11111", "Annie", "Qumaluk")


@pytest.fixture
def elisapie():
    return living_payments("22222", "Élisapie", "Tukalak")


def test_refreshing_stores_one_proposal_per_line_and_says_how_many(annie, elisapie):
    imported = statement(
        "2025-09-02,VIREMENT ANNIE QUMALUK,-1100.00",
        "2025-09-02,VIREMENT INTERAC ELISAPIE TUKALAK,-1100.00",
        "2025-09-03,FRAIS,-2.50",
    )

    count = reconciliation.proposals_refresh(statement=imported)

    stored = {p.line.description: list(p.payment_ids) for p in imported.proposals.all()}
    assert count == 2
    assert stored == {
        "VIREMENT ANNIE QUMALUK": [annie[0].pk],
        "VIREMENT INTERAC ELISAPIE TUKALAK": [elisapie[0].pk],
    }


def test_a_refresh_rewrites_only_the_proposals_that_changed(annie, elisapie):
    imported = statement(
        "2025-09-02,VIREMENT ANNIE QUMALUK,-1100.00", "2025-10-02,VIREMENT ELISAPIE,-1100.00"
    )
    before = dict(imported.proposals.values_list("line__description", "pk"))
    ScheduledPayment.objects.filter(pk__in=[annie[1].pk, elisapie[1].pk]).update(status="cancelled")

    reconciliation.proposals_refresh(statement=imported)

    after = dict(imported.proposals.values_list("line__description", "pk"))
    assert after["VIREMENT ANNIE QUMALUK"] == before["VIREMENT ANNIE QUMALUK"]
    assert "VIREMENT ELISAPIE" not in after


def test_a_line_matched_by_hand_loses_its_proposal(annie):
    imported = statement("2025-09-02,VIREMENT ANNIE QUMALUK,-1100.00")
    line = imported.lines.get()

    reconciliation.match_create(line=line, parts=[(annie[0], D("1100.00"))], by=None)

    assert proposal_of(line) is None


def test_a_match_refreshes_other_statements_whose_proposals_named_the_payment(annie):
    first = statement("2025-09-02,VIREMENT ANNIE,-1100.00", name="one.csv")
    second = statement("2025-09-03,VIREMENT QUMALUK,-1100.00", name="two.csv")
    other_line = second.lines.get()
    assert list(proposal_of(other_line).payment_ids) == [annie[0].pk]

    reconciliation.match_create(line=first.lines.get(), parts=[(annie[0], D("1100.00"))], by=None)

    assert proposal_of(other_line) is None


def test_undoing_a_match_brings_the_lines_proposal_back(annie):
    imported = statement(f"2025-09-02,VIREMENT {annie[0].reference},-1100.00", reconcile=True)
    line = imported.lines.get()
    assert proposal_of(line) is None  # matched at import

    reconciliation.match_undo(match=Match.objects.get(line=line), by=None)

    assert (proposal_of(line).rule, list(proposal_of(line).payment_ids)) == (
        "reference",
        [annie[0].pk],
    )


def test_a_rejected_suggestion_gives_way_and_is_not_offered_again(annie, elisapie):
    imported = statement("2025-09-02,VIREMENT ANNIE,-1100.00")
    line = imported.lines.get()
    assert (proposal_of(line).kind, list(proposal_of(line).payment_ids)) == (
        "single",
        [annie[0].pk],
    )

    reconciliation.suggestion_reject(statement=imported, line_id=line.pk, by=None)

    assert (proposal_of(line).rule, list(proposal_of(line).payment_ids)) == (
        "amount and date",
        [elisapie[0].pk],
    )


def test_accepting_a_stored_suggestion_matches_its_payment(annie):
    imported = statement("2025-09-02,VIREMENT ANNIE QUMALUK,-1100.00")
    line = imported.lines.get()

    accepted, problems = reconciliation.proposals_accept(
        statement=imported, line_id=line.pk, threshold=1.01, by=None
    )

    assert (accepted, problems) == (1, [])
    assert Match.objects.get().payment == annie[0]


def test_accepting_all_above_a_threshold_never_picks_among_candidates(annie, elisapie):
    imported = statement("2025-09-02,VIREMENT,-1100.00")
    assert proposal_of(imported.lines.get()).kind == "candidates"

    accepted, _ = reconciliation.proposals_accept(
        statement=imported, line_id=None, threshold=0, by=None
    )

    assert accepted == 0
    assert not Match.objects.exists()


def test_choosing_one_of_the_candidates_matches_that_payment(annie, elisapie):
    imported = statement("2025-09-02,VIREMENT,-1100.00")
    line = imported.lines.get()

    reconciliation.proposal_choose(
        statement=imported, line_id=line.pk, payment_id=elisapie[0].pk, by=None
    )

    assert Match.objects.get().payment == elisapie[0]
    assert proposal_of(line) is None


def test_a_payment_that_is_not_among_the_candidates_cannot_be_chosen(annie, elisapie):
    imported = statement("2025-09-02,VIREMENT,-1100.00")

    with pytest.raises(
        reconciliation.ReconciliationConflict, match="not among the line's candidates"
    ):
        reconciliation.proposal_choose(
            statement=imported,
            line_id=imported.lines.get().pk,
            payment_id=annie[3].pk,
            by=None,
        )


def test_importing_applies_a_split_named_by_two_references_and_nothing_else(annie):
    rows = f"2025-10-02,VIREMENT {annie[0].reference} {annie[1].reference},-2200.00"
    ScheduledPayment.objects.filter(pk=annie[2].pk).update(amount=D("2200.00"))  # the trap

    statement(rows, reconcile=True)

    assert sorted(Match.objects.values_list("payment_id", flat=True)) == [
        annie[0].pk,
        annie[1].pk,
    ]
    assert set(
        ScheduledPayment.objects.filter(pk__in=[annie[0].pk, annie[1].pk]).values_list(
            "status", flat=True
        )
    ) == {"reconciled"}


def test_statements_kept_from_before_get_their_proposals_from_the_migration(annie):
    imported = statement("2025-09-02,VIREMENT ANNIE QUMALUK,-1100.00")
    imported.proposals.all().delete()
    migration = importlib.import_module("billing.migrations.0010_line_proposals")

    migration.propose_for_statements_kept(apps, None)

    assert list(proposal_of(imported.lines.get()).payment_ids) == [annie[0].pk]


@pytest.mark.django_db(transaction=True)
def test_two_people_choosing_the_same_candidate_one_wins_the_other_is_told(annie, elisapie):
    imported = statement("2025-09-02,VIREMENT,-1100.00", "2025-09-03,TRANSFERT,-1100.00")
    lines = list(imported.lines.order_by("pk"))
    barrier, outcomes = threading.Barrier(2), []

    def choose(line):
        barrier.wait()
        try:
            reconciliation.proposal_choose(
                statement=imported, line_id=line.pk, payment_id=annie[0].pk, by=None
            )
            outcomes.append("matched")
        except reconciliation.ReconciliationConflict as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=choose, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[1] == "matched" and sorted(outcomes)[0]  # the other is told why
    assert Match.objects.count() == 1
