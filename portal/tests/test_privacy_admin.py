"""The privacy screens of the admin: what the retention schedule makes due, destroyed
from the admin after a confirmation; requests and incidents recorded through their add
forms."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from avataq.tests.factories import StaffUserFactory
from portal.models import ConfidentialityIncident, DataRequest, DestructionRecord
from portal.services.retention import ANONYMISED
from scholarships.models import Student
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
DUE = reverse("admin:portal_destructionrecord_due")
DESTROY = reverse("admin:portal_destructionrecord_destroy")


def _applicant_inactive_for_three_years() -> Student:
    """An applicant never enrolled, untouched for three years: due under the 2-year rule."""
    student = StudentFactory(last_name="Qinuajuak")
    three_years_ago = timezone.now() - dt.timedelta(days=3 * 366)
    Student.objects.filter(pk=student.pk).update(updated_at=three_years_ago)
    return student


@pytest.fixture
def staff(client):
    user = StaffUserFactory(group="Staff")
    client.force_login(user)
    return user


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_due_page_lists_what_is_due_and_destroys_nothing(client, staff):
    student = _applicant_inactive_for_three_years()

    response = client.get(DUE)

    assert response.status_code == 200
    assert f"#{student.pk}" in response.content.decode()
    assert Student.objects.get(pk=student.pk).last_name == "Qinuajuak"
    assert not DestructionRecord.objects.exists()


def test_destroy_asks_for_confirmation_before_destroying(client, staff):
    student = _applicant_inactive_for_three_years()

    response = client.get(DESTROY)

    assert response.status_code == 200
    assert 'name="fingerprint"' in response.content.decode()
    assert Student.objects.get(pk=student.pk).last_name == "Qinuajuak"


def test_confirming_destroys_what_is_due_with_the_user_as_who_confirmed(
    client, staff, django_capture_on_commit_callbacks
):
    student = _applicant_inactive_for_three_years()
    fingerprint = client.get(DESTROY).context["fingerprint"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DESTROY, {"fingerprint": fingerprint})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:portal_destructionrecord_changelist")
    record = DestructionRecord.objects.get(student_id_ref=student.pk)
    assert (record.kind, record.confirmed_by) == ("never_enrolled", staff)
    assert Student.objects.get(pk=student.pk).first_name == ANONYMISED


def test_a_list_that_changed_since_it_was_reviewed_is_not_destroyed(client, staff):
    first = _applicant_inactive_for_three_years()
    fingerprint = client.get(DESTROY).context["fingerprint"]
    _applicant_inactive_for_three_years()  # due since the page was read

    response = client.post(DESTROY, {"fingerprint": fingerprint})

    assert response["Location"] == DUE
    assert "review it again" in " ".join(_messages(response))
    assert Student.objects.get(pk=first.pk).last_name == "Qinuajuak"
    assert not DestructionRecord.objects.exists()


def test_a_storage_failure_is_told_and_leaves_the_student_untouched(client, staff, faulty_s3):
    student = _applicant_inactive_for_three_years()
    fingerprint = client.get(DESTROY).context["fingerprint"]
    faulty_s3.stop()

    response = client.post(DESTROY, {"fingerprint": fingerprint})

    assert response.status_code == 302
    assert "storage is not answering" in " ".join(_messages(response))
    assert Student.objects.get(pk=student.pk).last_name == "Qinuajuak"
    assert not DestructionRecord.objects.exists()


def test_a_role_without_the_permission_cannot_open_the_due_page(client):
    client.force_login(StaffUserFactory(group="Finance"))

    assert client.get(DUE).status_code == 403


def test_staff_record_a_written_request_through_the_admin(client, staff):
    student = StudentFactory()

    response = client.post(
        reverse("admin:portal_datarequest_add"),
        {
            "student": student.pk,
            "kind": "deletion",
            "channel": "written",
            "received_on": "2025-03-03",
            "details": "Letter of March 1st",
        },
    )

    assert response.status_code == 302, response.content
    request = DataRequest.objects.get(student=student)
    assert (request.kind, request.due_on, request.handled_by, request.status) == (
        "deletion",
        dt.date(2025, 4, 2),
        staff,
        "open",
    )


def test_staff_record_an_incident_through_the_admin(client, staff):
    concerned = StudentFactory.create_batch(2)

    response = client.post(
        reverse("admin:portal_confidentialityincident_add"),
        {
            "occurred_on": "2025-05-01",
            "discovered_on": "2025-05-02",
            "nature": "A list of students emailed to the wrong school",
            "information": "Names and status numbers",
            "students": [s.pk for s in concerned],
            "people_count": "0",
            "risk": "low",
            "risk_assessment": "No sensitive information",
            "measures": "",
            "regulator_notified_on": "",
            "people_notified_on": "2025-05-03",
        },
    )

    assert response.status_code == 302, response.content
    incident = ConfidentialityIncident.objects.get()
    assert incident.recorded_by == staff
    assert set(incident.students.all()) == set(concerned)
    assert (incident.people_count, incident.people_notified_on) == (2, dt.date(2025, 5, 3))
