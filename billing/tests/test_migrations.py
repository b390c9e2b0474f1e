"""Migration 0008 moves the school invoice PDFs that the first version filed in a billed
student's folder out to the school's, with their index rows and prior versions."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from documents.storage import document_storage
from documents.tests.factories import PDF

BEFORE = [
    ("billing", "0007_line_explanation_template"),
    ("documents", "0003_filename_trigram_search"),
]
AFTER = [("billing", "0008_invoice_documents_under_the_school")]


def migrate(targets):
    """Migrate billing and documents to ``targets`` (the other apps stay at their latest);
    the models as they are then."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    moved = {app for app, _ in targets}
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in moved]
    return executor.loader.project_state([*others, *targets]).apps


@pytest.mark.django_db(transaction=True)
def test_invoice_pdfs_filed_in_a_students_folder_move_to_the_school():
    old = migrate(BEFORE)
    try:
        Student = old.get_model("scholarships", "Student")
        School = old.get_model("scholarships", "School")
        Community = old.get_model("scholarships", "Community")
        ScholarYear = old.get_model("scholarships", "ScholarYear")
        Invoice = old.get_model("billing", "SchoolInvoice")
        InvoiceDocument = old.get_model("billing", "SchoolInvoiceDocument")
        DocumentIndex = old.get_model("documents", "DocumentIndex")
        DocumentVersion = old.get_model("documents", "DocumentVersion")
        student = Student.objects.create(
            status_no="42001",
            first_name="A",
            last_name="B",
            date_of_birth=dt.date(2000, 1, 1),
            community=Community.objects.get_or_create(
                code="inukjuak", defaults={"name": "Inukjuak", "coast": "hudson"}
            )[0],
        )
        school = School.objects.create(name="Vanier", code="vanier", kind="cegep", city="Mtl")
        year = ScholarYear.objects.create(
            code="2025-2026", start_date=dt.date(2025, 8, 1), end_date=dt.date(2026, 7, 31)
        )
        invoice = Invoice.objects.create(
            school=school,
            invoice_number="17",
            scholar_year=year,
            issued_on=dt.date(2025, 9, 1),
            total=100,
        )
        old_key = "42001/2025-2026/school-invoice-17.pdf"
        archived = "42001/2025-2026/_archive/school-invoice-17.20250901T000000000000.pdf"
        storage = document_storage()
        storage.save_exact(old_key, ContentFile(PDF))
        storage.save_exact(archived, ContentFile(b"%PDF-old"))
        InvoiceDocument.objects.create(
            invoice=invoice,
            student=student,
            file=old_key,
            original_filename="17.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="",
        )
        index = DocumentIndex.objects.create(
            student=student,
            student_reference="42001",
            scholar_year="2025-2026",
            category="school-invoice",
            school=school,
            s3_key=old_key,
            filename="17.pdf",
            content_type="application/pdf",
            size=len(PDF),
            source_model="billing.schoolinvoicedocument",
        )
        DocumentVersion.objects.create(document=index, archive_key=archived, size=8)

        new = migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    new_key = "schools/vanier/2025-2026/school-invoice-17.pdf"
    row = new.get_model("documents", "DocumentIndex").objects.get()
    assert (row.s3_key, row.subject, row.student_id, row.student_reference) == (
        new_key,
        "school",
        None,
        "",
    )
    assert new.get_model("billing", "SchoolInvoiceDocument").objects.get().file == new_key
    assert storage.stat(old_key) is None and storage.stat(archived) is None
    assert storage.stat(new_key).size == len(PDF)
    version = new.get_model("documents", "DocumentVersion").objects.get()
    assert version.archive_key.startswith("schools/vanier/2025-2026/_archive/")
    assert storage.stat(version.archive_key).size == 8
