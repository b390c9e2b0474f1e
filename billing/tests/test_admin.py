import datetime as dt
from decimal import Decimal

import pytest

from avataq.tests.factories import UserFactory
from billing import services
from billing.models import ComputingSheet, ScheduledPayment
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def enrollment():
    from enrollment.tests.factories import EnrollmentFactory

    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(status="approved", session__scholar_year=rates.scholar_year)
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    return enrollment


def test_a_superuser_computes_sheets_from_the_enrollment_list(admin_client, enrollment):
    admin_client.post(
        "/admin/enrollment/enrollment/",
        {"action": "compute_sheets", "_selected_action": [enrollment.pk]},
    )

    assert ComputingSheet.objects.get().enrollment == enrollment


def test_staff_validate_a_draft_and_payments_appear(admin_client, enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)

    admin_client.post(
        "/admin/billing/computingsheet/", {"action": "validate", "_selected_action": [sheet.pk]}
    )

    sheet.refresh_from_db()
    assert sheet.status == "validated"
    assert ScheduledPayment.objects.filter(sheet=sheet).exists()


def test_the_sheet_page_shows_the_revision_diff_and_serves_its_pdf(admin_client, enrollment):
    first = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=first, by=None, today=dt.date(2025, 8, 1))
    enrollment.student.dependants = 2
    enrollment.student.save()
    second = services.compute_sheet(enrollment=enrollment)

    page = admin_client.get(f"/admin/billing/computingsheet/{second.pk}/change/")
    pdf = admin_client.get(f"/admin/billing/computingsheet/{second.pk}/pdf/")

    assert b"Childcare" in page.content and b"2000.00" in page.content
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_discrepancy_report_renders(admin_client):
    response = admin_client.get("/admin/billing/schoolinvoice/discrepancies/")

    assert response.status_code == 200
    assert b"Invoiced students with no approved enrollment" in response.content


def test_staff_add_an_adjustment_line_with_its_reason_to_a_draft(admin_client, enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)
    url = "/admin/billing/computingsheet/"

    form = admin_client.post(url, {"action": "add_adjustment", "_selected_action": [sheet.pk]})
    admin_client.post(
        url,
        {
            "action": "add_adjustment",
            "_selected_action": [sheet.pk],
            "apply": "1",
            "label": "Laptop",
            "amount": "600.00",
            "payee": "student",
            "reason": "Required kit",
        },
    )

    assert b"Add an adjustment line to the selected draft" in form.content
    line = sheet.lines.get(is_manual=True)
    assert (line.amount, line.reason) == (Decimal("600.00"), "Required kit")


# --- the custom pages check the same permission as the page they belong to -------------------
@pytest.mark.parametrize("group", ["Counsellors", None])
def test_a_sheets_pdf_is_refused_to_staff_without_the_sheets_view_permission(
    client, enrollment, group
):
    from avataq.tests.factories import StaffUserFactory

    sheet = services.compute_sheet(enrollment=enrollment)
    client.force_login(StaffUserFactory(group=group))

    response = client.get(f"/admin/billing/computingsheet/{sheet.pk}/pdf/")

    assert response.status_code == 403
    assert response["Content-Type"] != "application/pdf"


@pytest.mark.parametrize("group", ["Counsellors", None])
def test_the_discrepancy_report_is_refused_to_staff_without_the_invoices_view_permission(
    client, group
):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory(group=group))

    assert client.get("/admin/billing/schoolinvoice/discrepancies/").status_code == 403


@pytest.mark.parametrize("group", ["Finance", "Staff", "Ops"])
def test_the_roles_that_see_sheets_open_a_sheets_pdf(client, enrollment, group):
    from avataq.tests.factories import StaffUserFactory

    sheet = services.compute_sheet(enrollment=enrollment)
    client.force_login(StaffUserFactory(group=group))

    response = client.get(f"/admin/billing/computingsheet/{sheet.pk}/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
