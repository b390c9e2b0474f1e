"""The reports' CSV and Excel exports: nothing a spreadsheet would run, typed columns,
headers in the reader's language, sessions in date order."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from avataq.tests.factories import StaffUserFactory
from billing.exports import Sheet, csv_response, safe_cell, xlsx_response
from billing.tests.factories_payments import validated_living_payments

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_is_neutralised_in_a_csv(text):
    content = csv_response("r.csv", Sheet("r", ["school"], [[text]])).content.decode("utf-8-sig")

    cell = next(csv.reader(io.StringIO(content[content.index("\n") + 1 :])))[0]
    assert cell == "'" + text


@pytest.mark.parametrize("text", HOSTILE[:-1])  # (XML keeps no lone CR: it reads a newline)
def test_text_in_excel_is_a_text_cell_kept_exactly_never_a_formula(text):
    book = load_workbook(
        io.BytesIO(xlsx_response("r.xlsx", [Sheet("r", ["school"], [[text]])]).content)
    )

    cell = book.active.cell(row=2, column=1)
    assert (cell.data_type, cell.value) == ("s", text)


def test_numbers_and_dates_are_not_touched():
    assert safe_cell(Decimal("-12.00")) == Decimal("-12.00")
    assert safe_cell(dt.date(2025, 9, 1)) == dt.date(2025, 9, 1)


def test_excel_columns_are_typed_money_with_cents_and_dates():
    rows = [[dt.date(2025, 9, 1), "Operations", Decimal("-1100.50")]]

    book = load_workbook(
        io.BytesIO(xlsx_response("r.xlsx", [Sheet("r", ["a", "b", "c"], rows)]).content)
    )

    day, _, amount = (book.active.cell(row=2, column=c) for c in (1, 2, 3))
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert amount.value == Decimal("-1100.5") or amount.value == -1100.5
    assert amount.number_format == "#,##0.00"


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


def test_the_report_headers_follow_the_readers_language(finance):
    validated_living_payments()
    finance.cookies["django_language"] = "fr"

    export = finance.get("/finance/reports/?format=csv").content.decode("utf-8-sig")

    assert export.startswith("Session,Versé à,Prévu,Payé,Rapproché,Restant\r\nAutomne 2025,")
    assert "Étudiants" in export


def test_a_school_named_like_a_formula_stays_text_in_the_export(finance):
    payments = validated_living_payments()
    school = payments[0].enrollment.school
    school.name = '=HYPERLINK("http://evil.example","Click")'
    school.save()
    payments[0].__class__.objects.filter(enrollment=payments[0].enrollment).update(school=school)

    export = finance.get("/finance/reports/?format=csv").content.decode("utf-8-sig")

    assert "'=HYPERLINK" in export
    assert "\n=HYPERLINK" not in export and ",=HYPERLINK" not in export


def test_the_report_lists_sessions_in_date_order():
    from billing import services
    from billing.selectors_finance import payments_report
    from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
    from enrollment.tests.factories import EnrollmentFactory
    from scholarships.tests.factories import SessionFactory

    rates = RateScheduleFactory()
    CommunityFareFactory(rates=rates)
    year = rates.scholar_year
    summer = SessionFactory(
        scholar_year=year,
        term="summer",
        start_date=dt.date(2026, 5, 4),
        end_date=dt.date(2026, 7, 24),
    )
    winter = SessionFactory(
        scholar_year=year,
        term="winter",
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 4, 30),
    )
    for session in (summer, winter):  # created in the wrong order on purpose
        enrollment = EnrollmentFactory(status="approved", session=session)
        sheet = services.compute_sheet(enrollment=enrollment)
        services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))

    sessions = [row.session for row in payments_report()]

    assert sessions.index("Winter 2026") < sessions.index("Summer 2026")
