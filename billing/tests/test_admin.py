import datetime as dt
from decimal import Decimal

import pytest

from avataq.tests.factories import UserFactory
from billing import services
from billing.models import ComputingSheet, RateSchedule, ScheduledPayment
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

    assert b"Childcare" in page.content and b"$2,000.00" in page.content
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


# --- a sheet's fields never change by its form ------------------------------------------
def test_no_field_of_a_draft_sheet_is_editable_in_the_admin(client, enrollment):
    from avataq.tests.factories import StaffUserFactory

    draft = services.compute_sheet(enrollment=enrollment)
    client.force_login(StaffUserFactory(group="Finance"))

    response = client.get(f"/admin/billing/computingsheet/{draft.pk}/change/")

    assert dict(response.context["adminform"].form.fields) == {}


def test_a_draft_cannot_be_given_another_students_sheet_as_previous_revision(client, enrollment):
    from avataq.tests.factories import StaffUserFactory
    from enrollment.tests.factories import EnrollmentFactory

    other = EnrollmentFactory(status="approved", session=enrollment.session)
    CommunityFareFactory(rates=RateSchedule.objects.get(), community=other.student.community)
    theirs = services.sheet_validate(
        sheet=services.compute_sheet(enrollment=other), by=None, today=dt.date(2025, 8, 1)
    )
    draft = services.compute_sheet(enrollment=enrollment)
    client.force_login(StaffUserFactory(group="Finance"))

    response = client.post(
        f"/admin/billing/computingsheet/{draft.pk}/change/",
        {"previous": theirs.pk, "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 302  # saved: with nothing it may change
    draft.refresh_from_db()
    assert draft.previous_id is None


# --- workflow buttons on a sheet's page, for Finance --------------------------------------
def sheet_steps(client, sheet: ComputingSheet) -> list[str]:
    import re

    page = client.get(f"/admin/billing/computingsheet/{sheet.pk}/change/").content.decode()
    return re.findall(rf'action="/admin/billing/computingsheet/{sheet.pk}/step/(\w+)/"', page)


@pytest.fixture
def finance(client):
    from avataq.tests.factories import StaffUserFactory

    user = StaffUserFactory(group="Finance")
    client.force_login(user)
    return user


def test_a_drafts_page_offers_finance_validate_recompute_adjust_and_cancel(
    client, finance, enrollment
):
    draft = services.compute_sheet(enrollment=enrollment)

    assert sheet_steps(client, draft) == ["validate", "recompute", "adjust", "cancel"]


def test_a_validated_sheets_page_offers_a_new_revision_only(client, finance, enrollment):
    sheet = services.sheet_validate(
        sheet=services.compute_sheet(enrollment=enrollment), by=None, today=dt.date(2025, 8, 1)
    )

    assert sheet_steps(client, sheet) == ["new_revision"]


def test_a_sheet_of_a_completed_enrollment_offers_no_new_revision(client, finance, enrollment):
    sheet = services.sheet_validate(
        sheet=services.compute_sheet(enrollment=enrollment), by=None, today=dt.date(2025, 8, 1)
    )
    enrollment.__class__.objects.filter(pk=enrollment.pk).update(status="completed")

    assert sheet_steps(client, sheet) == []


def test_staff_see_a_sheets_page_without_any_step_button(client, enrollment):
    from avataq.tests.factories import StaffUserFactory

    draft = services.compute_sheet(enrollment=enrollment)
    client.force_login(StaffUserFactory(group="Staff"))

    assert sheet_steps(client, draft) == []
    assert (
        client.post(f"/admin/billing/computingsheet/{draft.pk}/step/validate/").status_code == 403
    )


def test_validating_from_a_drafts_page_schedules_its_payments(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    response = client.post(f"/admin/billing/computingsheet/{draft.pk}/step/validate/")

    assert response["Location"] == f"/admin/billing/computingsheet/{draft.pk}/change/"
    draft.refresh_from_db()
    assert (draft.status, draft.validated_by) == ("validated", finance)
    assert ScheduledPayment.objects.filter(sheet=draft).exists()


def test_a_new_revision_from_a_validated_sheets_page_opens_the_new_draft(
    client, finance, enrollment
):
    first = services.sheet_validate(
        sheet=services.compute_sheet(enrollment=enrollment), by=None, today=dt.date(2025, 8, 1)
    )

    response = client.post(f"/admin/billing/computingsheet/{first.pk}/step/new_revision/")

    second = ComputingSheet.objects.get(revision=2)
    assert (second.status, second.previous) == ("draft", first)
    assert response["Location"] == f"/admin/billing/computingsheet/{second.pk}/change/"


def test_a_sheet_step_is_never_taken_by_a_get(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    response = client.get(f"/admin/billing/computingsheet/{draft.pk}/step/validate/")

    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- computing sheets is Finance's, for approved or active enrollments --------------------
def enrollment_page(client, enrollment) -> str:
    return client.get(f"/admin/enrollment/enrollment/{enrollment.pk}/change/").content.decode()


def test_an_approved_enrollments_page_offers_finance_to_compute_its_sheet(
    client, finance, enrollment
):
    compute = f'action="/admin/billing/computingsheet/compute/{enrollment.pk}/"'

    assert compute in enrollment_page(client, enrollment)


def test_staff_are_offered_the_enrollments_steps_but_no_computation(client, enrollment):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory(group="Staff"))

    page = enrollment_page(client, enrollment)

    assert f"/admin/enrollment/enrollment/{enrollment.pk}/step/activate/" in page
    assert "/admin/billing/computingsheet/compute/" not in page


def test_a_submitted_enrollments_page_offers_no_computation(client, finance, enrollment):
    enrollment.__class__.objects.filter(pk=enrollment.pk).update(status="submitted")

    assert "/admin/billing/computingsheet/compute/" not in enrollment_page(client, enrollment)


def test_computing_from_an_enrollments_page_opens_the_computed_draft(client, finance, enrollment):
    response = client.post(f"/admin/billing/computingsheet/compute/{enrollment.pk}/")

    sheet = ComputingSheet.objects.get()
    assert response["Location"] == f"/admin/billing/computingsheet/{sheet.pk}/change/"
    assert sheet.history.get().history_user == finance


def test_finance_compute_sheets_from_the_enrollment_list(client, finance, enrollment):
    client.post(
        "/admin/enrollment/enrollment/",
        {"action": "compute_sheets", "_selected_action": [enrollment.pk]},
    )

    assert ComputingSheet.objects.get().enrollment == enrollment


def test_staff_cannot_compute_sheets_from_the_enrollment_list(client, enrollment):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory(group="Staff"))

    page = client.get("/admin/enrollment/enrollment/").content.decode()
    client.post(
        "/admin/enrollment/enrollment/",
        {"action": "compute_sheets", "_selected_action": [enrollment.pk]},
    )

    assert 'value="compute_sheets"' not in page
    assert not ComputingSheet.objects.exists()


def test_computing_skips_enrollments_neither_approved_nor_active_and_names_them(
    client, finance, enrollment
):
    from django.contrib.messages import get_messages

    from enrollment.tests.factories import EnrollmentFactory

    draft = EnrollmentFactory(
        status="draft", session=enrollment.session, student__last_name="Tukalak"
    )

    response = client.post(
        "/admin/enrollment/enrollment/",
        {"action": "compute_sheets", "_selected_action": [enrollment.pk, draft.pk]},
        follow=True,
    )

    assert list(ComputingSheet.objects.values_list("enrollment", flat=True)) == [enrollment.pk]
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "1 enrollment skipped, computing sheets being for approved or active enrollments "
        f"only: {draft} (draft).",
        "1 sheet computed.",
    ]


# --- history: field, old → new, who -------------------------------------------------------
def history_of(client, url: str) -> str:
    return " ".join(client.get(url + "history/").content.decode().split())


def test_a_sheets_history_shows_its_validation_old_to_new_and_who(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)
    client.post(f"/admin/billing/computingsheet/{draft.pk}/step/validate/")

    page = history_of(client, f"/admin/billing/computingsheet/{draft.pk}/")

    assert "<strong>Status</strong>: Draft&nbsp;&rarr; Validated" in page
    assert finance.username in page


def test_a_payments_history_shows_its_status_change_and_who(client, finance, enrollment):
    sheet = services.sheet_validate(
        sheet=services.compute_sheet(enrollment=enrollment), by=None, today=dt.date(2025, 8, 1)
    )
    payment = sheet.payments.order_by("pk").first()
    client.post(
        "/admin/billing/scheduledpayment/",
        {"action": "mark_sent", "_selected_action": [payment.pk]},
    )

    page = history_of(client, f"/admin/billing/scheduledpayment/{payment.pk}/")

    assert "<strong>Status</strong>: Scheduled&nbsp;&rarr; Sent" in page
    assert finance.username in page


# --- lists: the status among the first columns ------------------------------------------
@pytest.mark.parametrize("model", [ComputingSheet, ScheduledPayment, "billing.SchoolInvoice"])
def test_a_billing_list_shows_the_status_within_its_first_four_columns(model):
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(model) if isinstance(model, str) else model

    assert "status" in list(admin.site._registry[model].list_display)[:4]


# --- invoices: their steps on their own page ----------------------------------------------
@pytest.fixture
def invoice():
    from billing.models import SchoolInvoice
    from scholarships.tests.factories import ScholarYearFactory, SchoolFactory

    return SchoolInvoice.objects.create(
        school=SchoolFactory(),
        invoice_number="INV 2025/17",
        scholar_year=ScholarYearFactory(first=2025),
        issued_on=dt.date(2025, 9, 1),
        total=Decimal("5000.00"),
    )


def invoice_steps(client, invoice) -> list[str]:
    import re

    page = client.get(f"/admin/billing/schoolinvoice/{invoice.pk}/change/").content.decode()
    return re.findall(rf'action="/admin/billing/schoolinvoice/{invoice.pk}/step/(\w+)/"', page)


def test_a_received_invoices_page_offers_approve_then_an_approved_one_mark_paid(
    client, finance, invoice
):
    offered = invoice_steps(client, invoice)
    client.post(f"/admin/billing/schoolinvoice/{invoice.pk}/step/approve/")

    invoice.refresh_from_db()
    assert (offered, invoice.status) == (["approve"], "approved")
    assert invoice_steps(client, invoice) == ["mark_paid"]


def test_staff_see_an_invoices_page_without_any_step_button(client, invoice):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory(group="Staff"))

    assert invoice_steps(client, invoice) == []


# --- finance's admin screens in French ------------------------------------------------------
def test_a_drafts_buttons_read_in_french(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    page = client.get(
        f"/admin/billing/computingsheet/{draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()

    assert ">Valider</button>" in page


def test_a_step_refused_is_told_once_in_french(client, finance, invoice):
    from django.contrib.messages import get_messages

    response = client.post(
        f"/admin/billing/schoolinvoice/{invoice.pk}/step/mark_paid/",
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )

    assert [
        str(m).replace("\N{NO-BREAK SPACE}", " ") for m in get_messages(response.wsgi_request)
    ] == ["Impossible de marquer comme « payé » une facture à l'état « reçu »."]


def test_computing_for_a_submitted_enrollment_is_refused_in_french(client, finance, enrollment):
    from django.contrib.messages import get_messages

    enrollment.__class__.objects.filter(pk=enrollment.pk).update(status="submitted")

    response = client.post(
        f"/admin/billing/computingsheet/compute/{enrollment.pk}/",
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )

    assert [
        str(m).replace("\N{NO-BREAK SPACE}", " ") for m in get_messages(response.wsgi_request)
    ] == [
        "L'inscription est à l'état « soumise » : les feuilles de calcul ne visent que les "
        "inscriptions approuvées ou actives."
    ]
    assert not ComputingSheet.objects.exists()


def sheet_page(client, sheet: ComputingSheet, language: str) -> str:
    url = f"/admin/billing/computingsheet/{sheet.pk}/change/"
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_sheets_page_reads_in_french_lines_explanations_and_amounts(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    page = sheet_page(client, draft, "fr")

    assert f"Feuille de calcul {enrollment.pk}, rév. 1 (Brouillon)" in page
    assert "Droits de scolarité" in page and "Livres et fournitures" in page
    assert "Montant à temps plein, une fois par session." in page
    assert "3\N{NO-BREAK SPACE}000,00\N{NO-BREAK SPACE}$" in page
    assert "Tuition" not in page and "Books and supplies" not in page
    assert f"Sheet {enrollment.pk} r1" not in page


def test_a_sheets_amounts_read_as_dollars_in_english(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    page = sheet_page(client, draft, "en")

    assert "$3,000.00" in page and "3000.00" not in page


def test_the_sheet_list_shows_amounts_as_dollars_in_french(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    page = client.get("/admin/billing/computingsheet/", HTTP_ACCEPT_LANGUAGE="fr").content
    total = f"{draft.total:,.2f}".replace(",", "\N{NO-BREAK SPACE}").replace(".", ",")

    assert f"{total}\N{NO-BREAK SPACE}$".encode() in page


def test_a_sheets_page_has_its_step_buttons_and_no_save_button(client, finance, enrollment):
    draft = services.compute_sheet(enrollment=enrollment)

    page = sheet_page(client, draft, "fr")

    assert ">Valider</button>" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
