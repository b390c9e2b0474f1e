"""The finance screens: who may use them, and the reconcile flow without JavaScript."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory, UserFactory
from billing import services
from billing.models import BankAccount, Match, ScheduledPayment
from billing.tests.factories_payments import validated_living_payments

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


@pytest.fixture
def payments():
    return validated_living_payments()


@pytest.fixture
def account():
    return BankAccount.objects.create(
        name="Ops",
        institution="Desjardins",
        account_number="4567",
        csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
    )


def upload(client, account, rows: list[str]):
    data = ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()
    return client.post(
        "/finance/statements/upload/",
        {
            "account": account.pk,
            "format": "csv",
            "file": SimpleUploadedFile("sept.csv", data),
        },
    )


def test_the_finance_screens_are_closed_to_others(client):
    assert client.get("/finance/").status_code == 302  # to log in
    client.force_login(UserFactory())
    assert client.get("/finance/").status_code == 403
    client.force_login(StaffUserFactory(group="Staff"))
    assert client.get("/finance/").status_code == 403


def test_importing_reconciles_lines_that_carry_their_reference(finance, account, payments):
    response = upload(
        finance,
        account,
        [f"2025-09-01,VIREMENT {payments[0].reference},-1100.00", "2025-09-02,FRAIS,-2.50"],
    )

    assert response.status_code == 302
    payments[0].refresh_from_db()
    assert payments[0].status == "reconciled"
    page = finance.get(response["Location"])
    assert page.status_code == 200 and b"Undo" in page.content


def test_a_malformed_statement_is_refused_with_its_line(finance, account):
    response = upload(finance, account, ["2025-13-40,X,-1.00"])

    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("line 2" in m for m in messages)


def test_a_suggestion_is_accepted_by_a_person_then_undone(finance, account, payments):
    upload(finance, account, ["2025-09-02,VIREMENT ANNIE,-1100.00"])
    statement = account.statements.get()
    line = statement.lines.get()

    finance.post(f"/finance/statements/{statement.pk}/accept/", {"line": line.pk})
    match = Match.objects.get()
    finance.post(f"/finance/matches/{match.pk}/undo/")

    match.refresh_from_db()
    assert match.undone_at is not None
    assert not ScheduledPayment.objects.filter(status="reconciled").exists()


def test_a_line_is_split_by_hand_over_two_payments(finance, account, payments):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-2200.00"])
    line = account.statements.get().lines.get()

    finance.post(
        f"/finance/lines/{line.pk}/match/",
        {
            "payment": [payments[0].pk, payments[1].pk],
            "amount": ["1100.00", "1100.00"],
        },
    )

    assert ScheduledPayment.objects.filter(status="reconciled").count() == 2


def test_the_reconcile_page_query_count_does_not_grow_with_lines(finance, account, payments):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    statement = account.statements.get()
    with CaptureQueriesContext(connection) as few:
        finance.get(f"/finance/statements/{statement.pk}/")
    services.statement_import(
        account=account,
        data=(
            "Date,Description,Amount\n"
            + "\n".join(f"2025-09-{d:02d},FRAIS {d},-{d}.00" for d in range(3, 28))
            + "\n"
        ).encode(),
        filename="more.csv",
        source_format="csv",
    )
    account.statements.exclude(pk=statement.pk).get().lines.update(statement=statement)

    with CaptureQueriesContext(connection) as many:
        finance.get(f"/finance/statements/{statement.pk}/")

    assert len(few) == len(many)


def test_reports_show_totals_and_export_csv(finance, account, payments):
    upload(finance, account, [f"2025-09-01,{payments[0].reference},-1100.00"])

    page = finance.get("/finance/reports/")
    export = finance.get("/finance/reports/?format=csv")

    assert b"Reconciled" in page.content
    assert export["Content-Type"].startswith("text/csv")
    assert b"session,school,scheduled,paid,reconciled,outstanding" in export.content


def test_reports_export_as_xlsx_with_exact_amounts(finance, account, payments):
    import io

    from openpyxl import load_workbook

    upload(finance, account, [f"2025-09-01,{payments[0].reference},-1100.00"])

    export = finance.get("/finance/reports/?format=xlsx")

    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.values)
    assert rows[0] == ("session", "school", "scheduled", "paid", "reconciled", "outstanding")
    assert any(row[4] == 1100 for row in rows[1:])


def test_a_rejected_suggestion_is_not_offered_again(finance, account, payments):
    from billing import matching

    upload(finance, account, ["2025-09-02,VIREMENT ANNIE,-1100.00"])
    statement = account.statements.get()
    line = statement.lines.get()
    assert matching.statement_proposals(statement=statement)

    finance.post(f"/finance/statements/{statement.pk}/reject/", {"line": line.pk})

    assert matching.statement_proposals(statement=statement) == []
    assert not Match.objects.exists()


def test_a_line_is_matched_by_hand_to_a_school_invoice(finance, account):
    from billing.models import SchoolInvoice
    from scholarships.tests.factories import ScholarYearFactory, SchoolFactory

    invoice = SchoolInvoice.objects.create(
        school=SchoolFactory(),
        invoice_number="D-44",
        scholar_year=ScholarYearFactory(),
        issued_on=dt.date(2025, 9, 10),
        total=Decimal("5000.00"),
        status="paid",
    )
    upload(finance, account, ["2025-09-20,PAIEMENT COLLEGE,-5000.00"])
    line = account.statements.get().lines.get()

    finance.post(f"/finance/lines/{line.pk}/invoice/", {"invoice": "d-44"})

    invoice.refresh_from_db()
    assert invoice.status == "reconciled"


def test_accept_all_above_a_threshold_leaves_the_weaker_suggestions(finance, account, payments):
    upload(
        finance, account, ["2025-09-02,VIREMENT TUKALAK,-1100.00", "2025-10-02,VIREMENT,-1100.00"]
    )
    statement = account.statements.get()

    finance.post(f"/finance/statements/{statement.pk}/accept/", {"threshold": "0.8"})

    match = Match.objects.get()
    assert (match.rule, match.payment) == ("amount, date and payee name", payments[0])


def test_an_account_that_is_not_a_number_is_a_404_not_a_500(finance):
    response = finance.post("/finance/statements/upload/", {"account": "abc", "format": "csv"})

    assert response.status_code == 404


def test_a_split_with_a_negative_part_is_refused_and_changes_nothing(finance, account, payments):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-1100.00"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/match/",
        {
            "payment": [payments[0].pk, payments[1].pk],
            "amount": ["2000.00", "-900.00"],
        },
        follow=True,
    )

    assert b"positive amount" in response.content
    assert not Match.objects.exists()
