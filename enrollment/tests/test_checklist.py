import pytest

from avataq.tests.factories import StaffUserFactory
from documents.models import DocumentType
from documents.tests.factories import upload
from enrollment import checklist
from enrollment.models import ChecklistItem, EnrollmentDocument, RequiredDocument
from enrollment.services import enrollment_submit
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db
Item = ChecklistItem.Status


def require(code: str, **scope) -> RequiredDocument:
    return RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code=code), **scope
    )


def add_document(enrollment, code="proof-of-enrollment", capture=None):
    document = EnrollmentDocument(
        enrollment=enrollment, document_type=DocumentType.objects.get(code=code)
    )
    with capture(execute=True):
        return checklist.enrollment_document_add(document=document, upload=upload(), by=None)


def test_requirements_apply_to_all_or_by_school_kind_or_load():
    require("proof-of-enrollment")
    require("transcript", school_kind="university")
    require("schedule", load="part_time")
    cegep_full_time = EnrollmentFactory(program__school__kind="cegep", load="full_time")

    codes = [t.code for t in checklist.required_types(cegep_full_time)]

    assert codes == ["proof-of-enrollment"]
    university_part_time = EnrollmentFactory(program__school__kind="university", load="part_time")
    assert {t.code for t in checklist.required_types(university_part_time)} == {
        "proof-of-enrollment",
        "transcript",
        "schedule",
    }


def test_submitting_an_enrollment_opens_its_checklist_with_every_item_missing():
    require("proof-of-enrollment")
    require("transcript")
    enrollment = EnrollmentFactory()

    enrollment_submit(enrollment=enrollment, by=None)

    assert sorted(enrollment.checklist.values_list("status", flat=True)) == [Item.MISSING] * 2
    assert [t.code for t in checklist.checklist_outstanding(enrollment)] == [
        "proof-of-enrollment",
        "transcript",
    ]


def test_an_uploaded_document_makes_its_item_received(django_capture_on_commit_callbacks):
    require("proof-of-enrollment")
    enrollment = EnrollmentFactory(student__status_no="12345")

    document = add_document(enrollment, capture=django_capture_on_commit_callbacks)

    item = enrollment.checklist.get()
    assert (item.status, item.document) == (Item.RECEIVED, document)
    assert document.key == "12345/2025-2026/proof-of-enrollment-fall.pdf"
    assert checklist.checklist_outstanding(enrollment) == []


def test_staff_accept_a_received_document(django_capture_on_commit_callbacks):
    require("proof-of-enrollment")
    enrollment = EnrollmentFactory()
    add_document(enrollment, capture=django_capture_on_commit_callbacks)
    staff = StaffUserFactory()

    item = checklist.checklist_item_accept(item=enrollment.checklist.get(), by=staff)

    assert (item.status, item.reviewed_by) == (Item.ACCEPTED, staff)


def test_refusing_needs_a_reason_and_keeps_it(django_capture_on_commit_callbacks):
    require("proof-of-enrollment")
    enrollment = EnrollmentFactory()
    add_document(enrollment, capture=django_capture_on_commit_callbacks)
    item = enrollment.checklist.get()

    with pytest.raises(checklist.ChecklistError, match="needs a reason"):
        checklist.checklist_item_refuse(item=item, by=StaffUserFactory(), reason=" ")
    refused = checklist.checklist_item_refuse(item=item, by=StaffUserFactory(), reason="Unsigned")

    assert (refused.status, refused.reason) == (Item.REFUSED, "Unsigned")
    assert [t.code for t in checklist.checklist_outstanding(enrollment)] == ["proof-of-enrollment"]


def test_a_new_upload_answers_a_refusal(django_capture_on_commit_callbacks):
    require("proof-of-enrollment")
    enrollment = EnrollmentFactory()
    add_document(enrollment, capture=django_capture_on_commit_callbacks)
    checklist.checklist_item_refuse(
        item=enrollment.checklist.get(), by=StaffUserFactory(), reason="Blurry"
    )

    second = add_document(enrollment, capture=django_capture_on_commit_callbacks)

    item = enrollment.checklist.get()
    assert (item.status, item.reason, item.document) == (Item.RECEIVED, "", second)
    assert second.key.endswith("proof-of-enrollment-fall-2.pdf")


def test_a_missing_item_cannot_be_accepted():
    require("proof-of-enrollment")
    enrollment = EnrollmentFactory()
    checklist.checklist_sync(enrollment=enrollment)

    with pytest.raises(checklist.ChecklistError, match="has not been received yet"):
        checklist.checklist_item_accept(item=enrollment.checklist.get(), by=StaffUserFactory())


def test_sync_is_idempotent():
    require("transcript")
    enrollment = EnrollmentFactory()

    checklist.checklist_sync(enrollment=enrollment)
    checklist.checklist_sync(enrollment=enrollment)

    assert enrollment.checklist.count() == 1
