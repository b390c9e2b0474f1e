"""Staff upload documents in the admin; the file goes through the documents services."""

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from avataq.tests.factories import StaffUserFactory
from documents.models import DocumentIndex, DocumentType
from documents.tests.factories import HTML, PDF
from scholarships.models import StudentDocument
from scholarships.tests.factories import ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffUserFactory(group="Staff")
    client.force_login(user)
    return user


def add(client, name: str, content: bytes):
    student = StudentFactory(status_no="12345")
    return client.post(
        "/admin/scholarships/studentdocument/add/",
        {
            "student": student.pk,
            "scholar_year": ScholarYearFactory(first=2025).pk,
            "document_type": DocumentType.objects.get(code="direct-deposit-form").pk,
            "upload": SimpleUploadedFile(name, content),
        },
    )


def test_staff_upload_a_student_document_stored_under_its_key_and_indexed(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = add(client, "Dépôt direct.PDF", PDF)

    assert response.status_code == 302, response.content
    document = StudentDocument.objects.get()
    assert document.key == "12345/2025-2026/direct-deposit-form.pdf"
    assert (document.uploaded_by, document.original_filename) == (staff, "Dépôt direct.PDF")
    assert DocumentIndex.objects.get().s3_key == document.key


def test_the_upload_streams_through_the_hashing_handler(client, staff):
    import hashlib

    add(client, "form.pdf", PDF)

    assert StudentDocument.objects.get().sha256 == hashlib.sha256(PDF).hexdigest()


def test_a_refused_upload_shows_the_reason_and_stores_nothing(client, staff):
    response = add(client, "form.pdf", HTML)

    assert response.status_code == 200
    assert b"Refused: the file is an HTML page, not an allowed type." in response.content
    assert not StudentDocument.objects.exists()
    assert list(storages["documents"].iter_objects()) == []


def test_an_oversized_upload_is_refused_with_its_size(client, staff, settings):
    settings.DOCUMENT_MAX_UPLOAD_SIZE = 1024

    response = add(client, "form.pdf", PDF + b"0" * 4096)

    assert b"Refused: the file is 4 KB; the limit is 1 KB." in response.content
    assert not StudentDocument.objects.exists()


def test_the_document_page_offers_a_download_link(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(client, "form.pdf", PDF)
    document = StudentDocument.objects.get()

    response = client.get(f"/admin/scholarships/studentdocument/{document.pk}/change/")

    index = DocumentIndex.objects.get()
    assert f"/documents/{index.pk}/download/".encode() in response.content
    assert b'name="student"' not in response.content  # what the key is made of is fixed
