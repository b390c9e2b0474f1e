"""The reconcile page: stored proposals, a page of lines at a time under a filter, choices
and searches offered as buttons, in English and French."""

import datetime as dt
import re

import pytest

from avataq.tests.factories import StaffUserFactory
from billing.models import Match
from billing.tests.test_proposals import living_payments, statement

pytestmark = pytest.mark.django_db
PAGE_QUERIES = 9  # session, user, permissions (2), the statement, counts, lines, matches, payments


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


@pytest.fixture
def annie():
    return living_payments("11111", "Annie", "Qumaluk")


@pytest.fixture
def elisapie():
    return living_payments("22222", "Élisapie", "Tukalak")


def with_fees(count: int) -> list[str]:
    """``count`` bank-fee lines, after the payments' lines."""
    start = dt.date(2025, 12, 1)
    return [
        f"{start + dt.timedelta(days=i % 20):%Y-%m-%d},FRAIS {i},-{1 + i % 97}.{i % 100:02d}"
        for i in range(count)
    ]


def a_statement(annie, lines: int):
    """A statement of ``lines`` lines: one matched by its reference at import, one with
    candidates, one with a suggestion by name, and bank fees."""
    return statement(
        f"2025-09-02,VIREMENT {annie[0].reference},-1100.00",
        "2025-10-02,VIREMENT,-1100.00",
        "2025-11-02,VIREMENT INTERAC ANNIE QUMALUK,-1100.00",
        *with_fees(lines - 3),
        reconcile=True,
    )


def page_of(imported, **query) -> str:
    path = f"/finance/statements/{imported.pk}/"
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("lines", [50, 2000])
def test_the_page_runs_the_same_queries_for_fifty_lines_as_for_two_thousand(
    finance, annie, elisapie, django_assert_num_queries, lines
):
    imported = a_statement(annie, lines)

    with django_assert_num_queries(PAGE_QUERIES):
        response = finance.get(page_of(imported))

    assert response.status_code == 200
    assert response.content.count(b'<tr id="line-') == min(lines, 100)


def test_the_last_page_shows_the_lines_left(finance, annie, elisapie):
    imported = a_statement(annie, 250)

    response = finance.get(page_of(imported, page=3))

    assert response.content.count(b'<tr id="line-') == 50
    assert b"Page 3 of 3" in response.content


def test_each_filter_shows_its_lines_and_says_how_many(finance, annie, elisapie):
    imported = a_statement(annie, 10)

    suggested = finance.get(page_of(imported, show="suggested")).content.decode()
    matched = finance.get(page_of(imported, show="matched")).content.decode()
    unmatched = finance.get(page_of(imported, show="unmatched")).content.decode()

    assert "With a suggestion (2)" in suggested and suggested.count('<tr id="line-') == 2
    assert "Matched (1)" in matched and matched.count('<tr id="line-') == 1
    assert "Nothing suggested (7)" in unmatched and unmatched.count('<tr id="line-') == 7


def test_payments_that_fit_equally_are_buttons_to_choose_from_never_a_suggestion(
    finance, annie, elisapie
):
    imported = statement("2025-10-02,VIREMENT,-1100.00")

    page = finance.get(page_of(imported)).content.decode()

    assert f"Match this line to {annie[1].reference} — $1,100.00 — Annie Qumaluk" in page
    assert f"Match this line to {elisapie[1].reference} — $1,100.00 — Élisapie Tukalak" in page
    assert "Suggested" not in page


def test_choosing_a_candidate_on_the_page_matches_that_payment(finance, annie, elisapie):
    imported = statement("2025-10-02,VIREMENT,-1100.00")
    line = imported.lines.get()

    finance.post(
        f"/finance/statements/{imported.pk}/accept/",
        {"line": line.pk, "payment": elisapie[1].pk},
    )

    assert Match.objects.get().payment == elisapie[1]


def test_a_payment_found_by_name_accents_ignored_is_a_button_matching_the_line(
    finance, annie, elisapie
):
    imported = statement("2025-10-20,TRANSFERT,-1100.00")
    line = imported.lines.get()

    page = finance.get(page_of(imported, q="elisapie", line=line.pk)).content.decode()
    buttons = re.findall(
        r'name="payment" value="(\d+)">\s*<button type="submit" class="choice">([^<]*)', page
    )

    assert (
        str(elisapie[1].pk),
        f"Match this line to {elisapie[1].reference} — $1,100.00 — Élisapie Tukalak",
    ) in buttons
    finance.post(f"/finance/lines/{line.pk}/match/", {"payment": elisapie[1].pk})
    assert (Match.objects.get().payment, Match.objects.get().amount) == (elisapie[1], 1100)


@pytest.mark.parametrize("query", ["AVQ-2025F-22222", "22222", "TUKALAK"])
def test_a_payment_is_found_by_reference_status_number_or_name(finance, annie, elisapie, query):
    imported = statement("2025-10-20,TRANSFERT,-1100.00")

    page = finance.get(page_of(imported, q=query)).content.decode()

    assert elisapie[1].reference in page and annie[1].reference not in page


def test_ticking_payments_found_splits_the_line_over_them(finance, annie, elisapie):
    imported = statement("2025-10-20,TRANSFERT DOUBLE,-2200.00")
    line = imported.lines.get()

    finance.post(f"/finance/lines/{line.pk}/match/", {"payment": [annie[1].pk, elisapie[1].pk]})

    assert sorted(Match.objects.values_list("payment_id", "amount")) == sorted(
        [(annie[1].pk, 1100), (elisapie[1].pk, 1100)]
    )


def test_after_acting_on_a_line_the_person_is_back_on_its_page_filter_and_line(
    finance, annie, elisapie
):
    imported = statement("2025-10-02,VIREMENT,-1100.00")
    line = imported.lines.get()

    response = finance.post(
        f"/finance/statements/{imported.pk}/reject/",
        {"line": line.pk, "show": "suggested", "page": "1"},
    )

    assert response["Location"] == (
        f"/finance/statements/{imported.pk}/?show=suggested&page=1#line-{line.pk}"
    )


def test_the_page_reads_in_french_for_a_french_reader(finance, annie, elisapie):
    imported = statement("2025-10-02,VIREMENT,-1100.00")
    finance.cookies["django_language"] = "fr"

    page = finance.get(page_of(imported)).content.decode()

    assert f"Rapprocher cette ligne de {annie[1].reference} — 1\u00a0100,00\u00a0$" in page
    assert "Plusieurs paiements conviennent autant à cette ligne\u00a0: choisissez le bon." in page
    assert 'value="0.85"' in page  # the threshold a number field can read
