"""A school invoice lists several students: its PDF is the school's document, filed under
the school, downloaded by the roles that handle invoices, never by a student it bills."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

from avataq.tests.factories import StaffUserFactory
from billing.models import SchoolInvoice, SchoolInvoiceDocument, SchoolInvoiceLine
from documents import services as document_services
from documents.models import DocumentIndex, DocumentType
from documents.tests.factories import upload
from portal.tests.factories import portal_student
from scholarships.tests.factories import ScholarYearFactory, SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed():
    """Two students billed on one invoice: the first has a portal account."""
    return [portal_student(status_no="31001"), StudentFactory(status_no="31002")]


@pytest.fixture
def invoice(billed):
    invoice = SchoolInvoice.objects.create(
        school=SchoolFactory(code="John_Abbott"),
        invoice_number="INV 2025/17",
        scholar_year=ScholarYearFactory(first=2025),
        issued_on=dt.date(2025, 9, 1),
        total=Decimal("5000.00"),
    )
    for student in billed:
        SchoolInvoiceLine.objects.create(invoice=invoice, student=student, amount=Decimal(2500))
    return invoice


@pytest.fixture
def invoice_pdf(invoice, django_capture_on_commit_callbacks) -> DocumentIndex:
    with django_capture_on_commit_callbacks(execute=True):
        document = document_services.document_store(
            document=SchoolInvoiceDocument(invoice=invoice), upload=upload("Facture.PDF"), by=None
        )
    return DocumentIndex.objects.get(s3_key=document.key)


def test_an_invoice_pdf_is_filed_under_its_school_not_in_a_students_folder(invoice_pdf):
    assert invoice_pdf.s3_key == "schools/john_abbott/2025-2026/school-invoice-inv-2025-17.pdf"
    assert (invoice_pdf.subject, invoice_pdf.student, invoice_pdf.student_reference) == (
        "school",
        None,
        "",
    )
    assert invoice_pdf.school.code == "John_Abbott"


def test_a_student_billed_on_the_invoice_cannot_download_it(client, billed, invoice_pdf):
    client.force_login(billed[0].user)

    response = client.get(f"/documents/{invoice_pdf.pk}/download/")

    assert response.status_code == 404


@pytest.mark.parametrize(("group", "status"), [("Finance", 302), ("Staff", 302), ("Ops", 404)])
def test_the_roles_that_handle_invoices_download_the_pdf(client, invoice_pdf, group, status):
    client.force_login(StaffUserFactory(group=group))

    response = client.get(f"/documents/{invoice_pdf.pk}/download/")

    assert response.status_code == status


def test_the_explorer_of_a_counsellor_never_lists_an_invoice(client, billed, invoice_pdf):
    from scholarships import services as student_services

    counsellor = StaffUserFactory(group="Counsellors")
    for student in billed:
        student.counsellor = counsellor
        student_services.student_save(student=student, by=None)
    client.force_login(counsellor)

    page = client.get("/documents/").content.decode()

    assert invoice_pdf.s3_key not in page and "Facture.PDF" not in page


def test_the_database_refuses_a_school_document_in_a_students_folder(invoice_pdf, billed):
    with pytest.raises(IntegrityError):
        DocumentIndex.objects.filter(pk=invoice_pdf.pk).update(
            s3_key="31001/2025-2026/school-invoice.pdf", student_reference="31001"
        )


def test_the_database_refuses_a_school_document_that_names_a_student(invoice_pdf, billed):
    with pytest.raises(IntegrityError):
        DocumentIndex.objects.filter(pk=invoice_pdf.pk).update(student=billed[0])


def test_an_invoice_type_can_never_be_shown_to_students():
    with pytest.raises(IntegrityError):
        DocumentType.objects.filter(applies_to="invoice").update(shown_to_student=True)


def test_finance_finds_the_invoice_in_the_explorer_under_its_school(client, invoice_pdf):
    client.force_login(StaffUserFactory(group="Finance"))

    page = client.get("/documents/").content.decode()

    assert invoice_pdf.s3_key in page and "A school" in page
