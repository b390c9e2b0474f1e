"""A counsellor works on their own students' enrollments and documents only; computing
sheets is Finance's work, whoever else may change enrollments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avataq.tests.factories import StaffUserFactory
from billing.models import ComputingSheet
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
from documents.models import DocumentType
from documents.tests.factories import PDF, upload
from enrollment import checklist
from enrollment.models import EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from scholarships import services as student_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def counsellor():
    return StaffUserFactory(group="Counsellors")


def enrollment_of(counsellor, **fields):
    enrollment = EnrollmentFactory(**fields)
    student = enrollment.student
    student.counsellor = counsellor
    student_services.student_save(student=student, by=None)
    return enrollment


def stored_document(enrollment) -> EnrollmentDocument:
    document = EnrollmentDocument(
        enrollment=enrollment, document_type=DocumentType.objects.get(code="transcript")
    )
    return checklist.enrollment_document_add(document=document, upload=upload(), by=None)


def test_a_counsellor_cannot_replace_the_file_of_another_students_document(client, counsellor):
    theirs = stored_document(enrollment_of(StaffUserFactory(group="Counsellors")))
    client.force_login(counsellor)

    response = client.post(
        f"/admin/enrollment/enrollmentdocument/{theirs.pk}/change/",
        {"upload": SimpleUploadedFile("transcript.pdf", PDF + b"%forged")},
    )

    theirs.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert theirs.size == len(PDF)


def test_a_counsellor_lists_only_their_own_students_documents(client, counsellor):
    mine = stored_document(enrollment_of(counsellor))
    theirs = stored_document(enrollment_of(StaffUserFactory(group="Counsellors")))
    client.force_login(counsellor)

    page = client.get("/admin/enrollment/enrollmentdocument/").content.decode()

    assert mine.key in page and theirs.key not in page


def test_a_counsellor_replaces_the_file_of_their_own_students_document(client, counsellor):
    mine = stored_document(enrollment_of(counsellor))
    client.force_login(counsellor)

    response = client.post(
        f"/admin/enrollment/enrollmentdocument/{mine.pk}/change/",
        {"upload": SimpleUploadedFile("transcript.pdf", PDF + b"%v2")},
    )

    mine.refresh_from_db()
    assert response.status_code == 302, response.content
    assert mine.size == len(PDF) + 3


def test_a_counsellor_lists_only_their_own_students_checklists(client, counsellor):
    RequiredDocument.objects.create(document_type=DocumentType.objects.get(code="transcript"))
    mine, theirs = enrollment_of(counsellor), enrollment_of(StaffUserFactory(group="Counsellors"))
    for enrollment in (mine, theirs):
        stored_document(enrollment)
    client.force_login(counsellor)

    page = client.get("/admin/enrollment/checklistitem/").content.decode()

    assert mine.student.last_name in page
    assert theirs.student.last_name not in page


@pytest.fixture
def approved():
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(status="approved", session__scholar_year=rates.scholar_year)
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    return enrollment


def compute(client, enrollment):
    return client.post(
        "/admin/enrollment/enrollment/",
        {"action": "compute_sheets", "_selected_action": [enrollment.pk]},
    )


@pytest.mark.parametrize("group", ["Staff", "Counsellors"])
def test_only_finance_computes_sheets_from_the_enrollments_list(client, approved, group):
    user = StaffUserFactory(group=group)
    if group == "Counsellors":
        approved.student.counsellor = user
        student_services.student_save(student=approved.student, by=None)
    client.force_login(user)

    page = client.get("/admin/enrollment/enrollment/").content.decode()
    compute(client, approved)

    assert "compute_sheets" not in page
    assert not ComputingSheet.objects.exists()


def test_finance_computes_sheets_from_the_enrollments_list(client, approved):
    client.force_login(StaffUserFactory(group="Finance"))

    compute(client, approved)

    assert ComputingSheet.objects.filter(enrollment=approved).exists()
