import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.money import format_money
from avataq.tests.factories import StaffUserFactory
from billing import services
from billing.models import ComputingSheet, Recovery, ScheduledPayment
from billing.pdf import sheet_pdf
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory, SchoolFeeFactory
from documents.models import DocumentType
from enrollment.models import RequiredDocument
from enrollment.services import enrollment_withdraw
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def enrollment():
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(
        status="approved",
        student__status_no="12345",
        student__first_name="Annie",
        student__last_name="Qumaluk",
        session__scholar_year=rates.scholar_year,
    )
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    SchoolFeeFactory(rates=rates, school=enrollment.school)
    return enrollment


def by_code(sheet) -> dict[str, Decimal]:
    return {line.code: line.amount for line in sheet.lines.all()}


def test_computing_makes_a_draft_with_a_line_per_rule_and_its_totals(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)

    assert sheet.status == "draft" and sheet.revision == 1 and sheet.months == 4
    assert by_code(sheet) == {
        "TUITION": D("2500.00"),
        "BOOKS": D("400.00"),
        "LIVING": D("4400.00"),
        "HOUSING": D("1800.00"),
        "TRAVEL": D("2400.00"),
    }
    assert (sheet.school_total, sheet.student_total, sheet.total) == (
        D("2500.00"),
        D("9000.00"),
        D("11500.00"),
    )


def test_recomputing_a_draft_is_idempotent_and_keeps_manual_lines(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_add_manual_line(
        sheet=sheet,
        label="Laptop",
        amount=D("600"),
        payee="student",
        reason="Program requires a laptop",
        by=None,
    )

    again = services.compute_sheet(enrollment=enrollment)

    assert again.pk == sheet.pk
    assert ComputingSheet.objects.count() == 1
    assert by_code(again)["ADJ"] == D("600.00")
    assert again.lines.count() == 6 and again.total == D("12100.00")


def test_a_manual_line_needs_a_reason(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)

    with pytest.raises(services.BillingError, match="needs a reason"):
        services.sheet_add_manual_line(
            sheet=sheet, label="x", amount=D("5"), payee="student", reason=" ", by=None
        )


def test_no_rate_schedule_is_a_clear_error():
    with pytest.raises(services.BillingError, match="no rate schedule for 2025-2026"):
        services.compute_sheet(enrollment=EnrollmentFactory(status="approved"))


def test_validating_schedules_allowances_monthly_and_the_rest_at_session_start(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)

    services.sheet_validate(sheet=sheet, by=StaffUserFactory(), today=dt.date(2025, 8, 1))

    payments = list(ScheduledPayment.objects.order_by("due_date", "code"))
    living = [p for p in payments if p.code == "LIVING"]
    assert [p.due_date for p in living] == [dt.date(2025, m, 1) for m in (9, 10, 11, 12)]
    assert sum(p.amount for p in payments) == sheet.total
    tuition = next(p for p in payments if p.code == "TUITION")
    assert (tuition.payee, tuition.school, tuition.due_date) == (
        "school",
        enrollment.school,
        dt.date(2025, 8, 25),
    )
    assert payments[0].reference.startswith("AVQ-2025F-12345-")
    assert len({p.reference for p in payments}) == len(payments)


def test_a_validated_sheet_is_immutable(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))

    with pytest.raises(services.BillingError, match="only a draft changes"):
        services.sheet_add_manual_line(
            sheet=sheet, label="x", amount=D("5"), payee="student", reason="late", by=None
        )


def test_validation_is_refused_while_documents_are_missing_and_names_them(enrollment):
    RequiredDocument.objects.create(document_type=DocumentType.objects.get(code="transcript"))
    RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code="proof-of-enrollment")
    )
    sheet = services.compute_sheet(enrollment=enrollment)

    with pytest.raises(
        services.BillingError, match="Documents are missing: Proof of enrollment, Transcript"
    ):
        services.sheet_validate(sheet=sheet, by=None)
    assert not ScheduledPayment.objects.exists()


def test_a_raise_after_two_paid_months_schedules_only_the_difference(enrollment):
    first = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=first, by=None, today=dt.date(2025, 8, 1))
    for payment in ScheduledPayment.objects.filter(code="LIVING").order_by("period")[:2]:
        ScheduledPayment.objects.filter(pk=payment.pk).update(status="paid")
    enrollment.student.marital_status = "married"  # living 1100 → 1650 a month
    enrollment.student.save()

    second = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=second, by=None, today=dt.date(2025, 10, 15))

    first.refresh_from_db()
    assert (first.status, second.revision, second.previous) == ("superseded", 2, first)
    added = ScheduledPayment.objects.filter(sheet=second)
    assert sorted((p.code, p.period.month, p.amount) for p in added) == [
        ("LIVING", m, D("550.00")) for m in (9, 10, 11, 12)
    ]
    # the two paid months get their difference now, not a second full payment
    assert {p.due_date for p in added if p.period.month in (9, 10)} == {dt.date(2025, 10, 15)}
    living = ScheduledPayment.objects.filter(code="LIVING").exclude(status="cancelled")
    assert sum(p.amount for p in living) == D("6600.00")


def test_a_cut_creates_negative_adjustments_rather_than_rewriting_history(enrollment):
    first = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=first, by=None, today=dt.date(2025, 8, 1))
    ScheduledPayment.objects.filter(code="HOUSING").update(status="paid")
    enrollment.residence = "on_campus"  # no more housing supplement
    enrollment.save()

    second = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=second, by=None, today=dt.date(2025, 8, 10))

    paid = ScheduledPayment.objects.filter(sheet=first, code="HOUSING")
    assert set(paid.values_list("status", flat=True)) == {"paid"}  # untouched
    cuts = ScheduledPayment.objects.filter(sheet=second)
    assert sorted((p.code, p.amount) for p in cuts) == [("HOUSING", D("-450.00"))] * 4


def test_the_revision_diff_shows_old_new_and_change(enrollment):
    first = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=first, by=None, today=dt.date(2025, 8, 1))
    enrollment.student.dependants = 1
    enrollment.student.save()

    second = services.compute_sheet(enrollment=enrollment)

    rows = {row.code: row for row in services.sheet_diff(sheet=second)}
    assert (rows["LIVING"].old, rows["LIVING"].new, rows["LIVING"].change) == (
        D("4400.00"),
        D("4400.00"),
        D("0.00"),
    )
    assert (rows["CHILDCARE"].old, rows["CHILDCARE"].new) == (None, D("1000.00"))


def test_withdrawal_cancels_unsent_payments_and_makes_overpaid_months_a_recovery(enrollment):
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))
    # all four living payments went out, then the student left in mid-October
    ScheduledPayment.objects.filter(code__in=["LIVING", "HOUSING"]).update(status="sent")
    enrollment.status = "active"
    enrollment.save()

    enrollment_withdraw(
        enrollment=enrollment, by=None, reason="Moved home", effective=dt.date(2025, 10, 15)
    )

    assert not ScheduledPayment.objects.filter(status="scheduled").exists()
    recovery = Recovery.objects.get()
    assert recovery.amount == D("3100.00")  # Nov + Dec: 2 × (1100 + 450)
    sheet.refresh_from_db()
    assert sheet.recovery == D("3100.00")


def test_computing_takes_the_same_number_of_queries_whatever_the_lines(enrollment):
    with CaptureQueriesContext(connection) as few:
        services.compute_sheet(enrollment=enrollment)
    other = EnrollmentFactory(
        status="approved",
        student__dependants=4,
        student__marital_status="married",
        session=enrollment.session,
    )
    CommunityFareFactory(
        rates=RateScheduleFactory(scholar_year=enrollment.session.scholar_year),
        community=other.student.community,
    )
    with CaptureQueriesContext(connection) as many:
        sheet = services.compute_sheet(enrollment=other)

    assert sheet.lines.count() > 5
    assert len(few) == len(many)


def test_copying_rates_to_the_next_year_brings_fares_and_fees(enrollment):
    from scholarships.tests.factories import ScholarYearFactory

    ScholarYearFactory(first=2026)
    rates = enrollment.session.scholar_year.rates

    copy = services.rates_copy_to_next_year(rates=rates)

    assert copy.scholar_year.code == "2026-2027"
    assert (copy.fares.count(), copy.school_fees.count()) == (1, 1)
    assert copy.living_single == rates.living_single


def test_the_pdf_shows_the_student_the_totals_and_every_line(enrollment):
    from pypdf import PdfReader

    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_add_manual_line(
        sheet=sheet,
        label="Laptop",
        amount=D("600"),
        payee="student",
        reason="Program requires a laptop",
        by=None,
    )
    sheet.refresh_from_db()

    pdf = sheet_pdf(sheet)

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Annie Qumaluk" in text and "12345" in text
    for line in sheet.lines.all():
        assert line.label in text and format_money(line.amount) in text
    assert format_money(sheet.total) in text and format_money(sheet.school_total) in text
    assert "Program requires a laptop" in text
    assert "half of its days" in " ".join(text.split())


def test_the_pdf_in_french_translates_every_label_and_explanation(enrollment):
    from pypdf import PdfReader

    sheet = services.compute_sheet(enrollment=enrollment)

    pdf = sheet_pdf(sheet, language="fr")

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Droits de scolarité" in text and "Livres et fournitures" in text
    assert "Allocation de subsistance (personne seule)" in text
    assert "Montant mensuel pour une personne seule" in text
    assert "Droits de l'établissement" in text
    assert "Tuition" not in text and "months" not in text


def test_a_line_explains_itself_in_the_active_language_with_its_amounts(enrollment):
    from django.utils import translation

    sheet = services.compute_sheet(enrollment=enrollment)
    tuition = sheet.lines.get(code="TUITION")

    with translation.override("fr"):
        french = tuition.explanation()

    assert french.startswith("Droits de l'établissement ")
    assert format_money(D(tuition.rule_params["cap"]), "fr") in french
    assert tuition.explanation().startswith("School fee $")  # English outside French


def test_the_pdf_carries_the_programs_letterhead_address_and_contact(enrollment, settings):
    from pypdf import PdfReader

    settings.PORTAL_PROGRAM_ADDRESS = "PO Box 150; Kuujjuaq QC  J0M 1C0"
    settings.PORTAL_CONTACT_EMAIL = "sponsorship@avataq.example"
    settings.PORTAL_CONTACT_PHONE = "819-964-2000"
    sheet = services.compute_sheet(enrollment=enrollment)

    pdf = sheet_pdf(sheet, language="en")

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Avataq" in text and "Post-secondary sponsorship" in text
    assert "PO Box 150" in text and "Kuujjuaq QC J0M 1C0" in text
    assert "sponsorship@avataq.example" in text and "819-964-2000" in text
    assert f"AVQ-{enrollment.session.code}-{enrollment.student.status_no}-R1" in text


def test_the_pdfs_letterhead_names_the_program_in_french(enrollment):
    from pypdf import PdfReader

    sheet = services.compute_sheet(enrollment=enrollment)

    pdf = sheet_pdf(sheet, language="fr")

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Soutien aux études postsecondaires" in text


def test_the_pdfs_file_name_is_in_the_students_language(enrollment):
    from billing.pdf import sheet_pdf_filename

    sheet = services.compute_sheet(enrollment=enrollment)
    year = enrollment.session.start_date.year

    assert sheet_pdf_filename(sheet, language="fr") == f"feuille-de-calcul-automne-{year}-r1.pdf"
    assert sheet_pdf_filename(sheet, language="en") == f"computing-sheet-fall-{year}-r1.pdf"
