"""Corrections: asked from the portal, accepted through the student's update service (the
history keeps both values) or refused with a reason the student reads."""

import datetime as dt

import pytest
from django.urls import reverse

from avataq.tests.factories import StaffUserFactory
from portal.models import CorrectionRequest, DataRequest
from portal.services import privacy
from portal.tests.factories import portal_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def student():
    return portal_student(first_name="Annie", last_name="Qumaq")


@pytest.fixture
def staff():
    return StaffUserFactory(group="Staff")


def _ask(student, field="last_name", value="Qumaaq"):
    return privacy.correction_request_create(
        student=student, field=field, proposed_value=value, explanation="typo", by=student.user
    )


def test_a_correction_asked_from_the_portal_is_recorded_as_a_privacy_request(client, student):
    client.force_login(student.user)
    response = client.post(
        reverse("portal:correction_request"),
        {"field": "last_name", "proposed_value": "Qumaaq", "explanation": "typo"},
    )
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    assert (correction.current_value, correction.proposed_value) == ("Qumaq", "Qumaaq")
    assert correction.request.kind == DataRequest.Kind.CORRECTION


def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_kept(client, student):
    client.force_login(student.user)
    response = client.post(
        reverse("portal:correction_request"),
        {"field": "date_of_birth", "proposed_value": "not a date"},
    )
    assert response.status_code == 400
    assert "Date of birth" in response.content.decode()
    assert not CorrectionRequest.objects.exists()
    assert not DataRequest.objects.exists()


def test_accepting_applies_the_value_and_history_keeps_both(student, staff):
    correction = privacy.correction_accept(correction=_ask(student), by=staff)
    student.refresh_from_db()
    assert student.last_name == "Qumaaq"
    names = list(student.history.order_by("history_date").values_list("last_name", flat=True))
    assert names[-2:] == ["Qumaq", "Qumaaq"]
    assert student.history.latest("history_date").history_user == staff
    assert correction.status == CorrectionRequest.Status.ACCEPTED
    correction.request.refresh_from_db()
    assert correction.request.status == DataRequest.Status.ANSWERED


def test_a_date_of_birth_correction_is_applied_as_a_date(student, staff):
    privacy.correction_accept(correction=_ask(student, "date_of_birth", "2001-02-03"), by=staff)
    student.refresh_from_db()
    assert student.date_of_birth == dt.date(2001, 2, 3)


def test_refusing_needs_a_reason(student, staff):
    correction = _ask(student)
    with pytest.raises(privacy.PrivacyError):
        privacy.correction_refuse(correction=correction, by=staff, reason=" ")
    correction.refresh_from_db()
    assert correction.status == CorrectionRequest.Status.PENDING


def test_the_student_reads_the_refusal_and_its_reason(client, student, staff):
    privacy.correction_refuse(correction=_ask(student), by=staff, reason="The card says Qumaq")
    client.force_login(student.user)
    page = client.get(reverse("portal:privacy")).content.decode()
    assert "Refused" in page
    assert "The card says Qumaq" in page
    student.refresh_from_db()
    assert student.last_name == "Qumaq"


def test_a_correction_is_answered_only_once(student, staff):
    correction = privacy.correction_accept(correction=_ask(student), by=staff)
    with pytest.raises(privacy.PrivacyError, match="already"):
        privacy.correction_refuse(correction=correction, by=staff, reason="no")


def test_staff_accept_from_the_admin(client, student, staff):
    correction = _ask(student)
    client.force_login(staff)
    response = client.post(
        reverse("admin:portal_correctionrequest_changelist"),
        {"action": "accept", "_selected_action": [correction.pk]},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.last_name == "Qumaaq"


def test_signup_without_accepting_the_notice_is_refused_and_creates_nothing(client):
    from portal.models import Account

    response = client.post(
        reverse("portal:signup"),
        {
            "email": "new@example.org",
            "password1": "a long unusual passphrase 42",
            "password2": "a long unusual passphrase 42",
        },
    )
    assert response.status_code == 200
    assert "accept the privacy notice" in response.content.decode()
    assert not Account.objects.exists()


def test_a_new_notice_version_asks_again_before_the_file(client, student, settings):
    settings.PRIVACY_NOTICE_VERSION = "2099-1"
    client.force_login(student.user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:notice"))
    client.post(reverse("portal:notice"), {"accept": "on"})
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert student.user.portal_account.notice_acceptances.filter(version="2099-1").exists()


def test_dates_of_birth_are_hidden_from_roles_that_do_not_need_them(client, student):
    from avataq.tests.factories import StaffUserFactory

    finance = StaffUserFactory(group="Finance")
    client.force_login(finance)
    page = client.get(reverse("admin:scholarships_student_change", args=[student.pk]))
    assert page.status_code == 200
    assert "date_of_birth" not in page.content.decode()
    client.force_login(StaffUserFactory(group="Staff"))
    page = client.get(reverse("admin:scholarships_student_change", args=[student.pk]))
    assert "date_of_birth" in page.content.decode()
