import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory
from enrollment.models import Enrollment
from enrollment.tests.factories import EnrollmentFactory
from scholarships.tests.factories import ProgramFactory, SessionFactory, StudentFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/enrollment/enrollment/"


@pytest.fixture
def staff(client):
    user = StaffUserFactory(group="Staff")
    client.force_login(user)
    return user


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def spread_enrollments(count: int) -> None:
    sessions = [SessionFactory(term=t) for t in ("fall",)] + [
        SessionFactory(term="winter", start_date="2026-01-06", end_date="2026-05-05")
    ]
    programs = [ProgramFactory() for _ in range(3)]
    for i in range(count):
        program = programs[i % 3]
        EnrollmentFactory(session=sessions[i % 2], program=program, school=program.school)


def test_enrollment_changelist_query_count_does_not_grow_with_rows(client, staff):
    spread_enrollments(5)
    small = queries_for(client, CHANGELIST)

    spread_enrollments(45)
    large = queries_for(client, CHANGELIST)

    assert Enrollment.objects.count() == 50
    assert small == large


def test_enrollment_changelist_filters_by_status_and_school(client, staff):
    kept = EnrollmentFactory(status="submitted")
    EnrollmentFactory(status="draft", student__last_name="Hidden")

    response = client.get(
        CHANGELIST, {"status__exact": "submitted", "school__id__exact": kept.school_id}
    )

    assert kept.student.last_name.encode() in response.content
    assert b"Hidden" not in response.content


def test_student_page_lists_their_enrollments(client, staff):
    enrollment = EnrollmentFactory()

    response = client.get(f"/admin/scholarships/student/{enrollment.student_id}/change/")

    assert response.status_code == 200
    assert enrollment.program.name.encode() in response.content


def test_approve_action_approves_through_the_service(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    client.post(CHANGELIST, {"action": "approve", "_selected_action": [enrollment.pk]})

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by) == ("approved", staff)


def test_an_illegal_action_is_reported_and_changes_nothing(client, staff):
    enrollment = EnrollmentFactory(status="draft")

    response = client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [enrollment.pk]}, follow=True
    )

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Cannot approve an enrollment that is draft" in m for m in messages)
    enrollment.refresh_from_db()
    assert enrollment.status == "draft"


def test_refuse_action_asks_for_a_reason_first(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    response = client.post(CHANGELIST, {"action": "refuse", "_selected_action": [enrollment.pk]})

    assert response.status_code == 200
    assert b"reason" in response.content
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


def test_refuse_action_with_a_reason_refuses(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    client.post(
        CHANGELIST,
        {"action": "refuse", "_selected_action": [enrollment.pk], "apply": "1",
         "reason": "Program not eligible"},
    )  # fmt: skip

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.status_reason) == ("refused", "Program not eligible")


def test_withdraw_action_takes_an_effective_date(client, staff):
    enrollment = EnrollmentFactory(status="active")

    client.post(
        CHANGELIST,
        {"action": "withdraw", "_selected_action": [enrollment.pk], "apply": "1",
         "reason": "Moved back home", "effective": "2025-10-20"},
    )  # fmt: skip

    enrollment.refresh_from_db()
    assert (enrollment.status, str(enrollment.withdrawn_on)) == ("withdrawn", "2025-10-20")


def test_staff_add_an_enrollment_as_a_draft_in_the_admin(client, staff):
    student, session, program = StudentFactory(), SessionFactory(), ProgramFactory()

    response = client.post(
        "/admin/enrollment/enrollment/add/",
        {
            "student": student.pk,
            "session": session.pk,
            "school": program.school_id,
            "program": program.pk,
            "load": "full_time",
            "credits": "15",
            "residence": "off_campus",
        },
    )

    assert response.status_code == 302, response.content
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "draft"
    assert enrollment.history.get().history_user == staff


def test_admin_form_refuses_a_closed_year(client, staff):
    student, program = StudentFactory(), ProgramFactory()
    session = SessionFactory(scholar_year__is_closed=True)

    response = client.post(
        "/admin/enrollment/enrollment/add/",
        {"student": student.pk, "session": session.pk, "school": program.school_id,
         "program": program.pk, "load": "full_time", "credits": "15", "residence": "home"},
    )  # fmt: skip

    assert response.status_code == 200
    assert b"closed to new enrollments" in response.content
    assert not Enrollment.objects.exists()


def test_a_decided_enrollment_shows_its_studies_read_only(client, staff):
    enrollment = EnrollmentFactory(status="approved")

    response = client.get(f"/admin/enrollment/enrollment/{enrollment.pk}/change/")

    assert b'name="load"' not in response.content
    assert b'name="notes"' in response.content


def test_staff_refuse_a_received_document_with_a_reason(
    client, staff, django_capture_on_commit_callbacks
):
    from documents.models import DocumentType
    from documents.tests.factories import upload
    from enrollment.checklist import enrollment_document_add
    from enrollment.models import ChecklistItem, EnrollmentDocument, RequiredDocument

    proof = DocumentType.objects.get(code="proof-of-enrollment")
    RequiredDocument.objects.create(document_type=proof)
    enrollment = EnrollmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_document_add(
            document=EnrollmentDocument(enrollment=enrollment, document_type=proof),
            upload=upload(),
            by=None,
        )
    item = ChecklistItem.objects.get()
    url = "/admin/enrollment/checklistitem/"

    seen = {f"seen-{item.pk}": item.document_id}  # the document the list showed

    page = client.post(url, {"action": "refuse", "_selected_action": [item.pk], **seen})
    client.post(
        url,
        {"action": "refuse", "_selected_action": [item.pk], "apply": "1", "reason": "Blurry",
         **seen},
    )  # fmt: skip

    assert b"Refuse the selected documents" in page.content
    item.refresh_from_db()
    assert (item.status, item.reason, item.reviewed_by) == ("refused", "Blurry", staff)
