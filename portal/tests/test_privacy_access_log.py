"""Who looked at a student's file: admin views and document downloads are logged; the
student sees the downloads; staff see a per-student report; the officer is alerted."""

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone

from avataq.tests.world import build_world
from documents.models import DocumentAccess
from portal.models import OutgoingEmail, PrivacyAlert
from portal.services.privacy import files_opened, privacy_alert_check
from scholarships.models import StudentRecordAccess
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


def test_opening_a_students_record_in_the_admin_is_logged(world, client):
    staff = world.users["Staff"]
    client.force_login(staff)
    url = reverse("admin:scholarships_student_change", args=[world.b.student.pk])
    assert client.get(url).status_code == 200
    access = StudentRecordAccess.objects.latest("pk")
    assert (access.student, access.user, access.view) == (world.b.student, staff, "record")
    assert access.pk != world.objects[StudentRecordAccess].pk


def test_opening_a_students_history_is_logged(world, client):
    client.force_login(world.users["Staff"])
    client.get(reverse("admin:scholarships_student_history", args=[world.a.student.pk]))
    assert StudentRecordAccess.objects.get(student=world.a.student).view == "history"


def test_a_record_the_user_may_not_see_is_not_logged(world, client):
    counsellor = world.users["Counsellors"]  # B is someone else's student
    client.force_login(counsellor)
    client.get(reverse("admin:scholarships_student_change", args=[world.b.student.pk]))
    assert not StudentRecordAccess.objects.filter(user=counsellor).exists()


def test_a_document_download_is_logged_with_who_and_what(world, client):
    staff = world.users["Finance"]
    client.force_login(staff)
    response = client.get(reverse("documents:download", args=[world.b.index.pk]))
    assert response.status_code == 302
    access = DocumentAccess.objects.filter(user=staff).get()
    assert (access.document, access.s3_key) == (world.b.index, world.b.index.s3_key)


def test_the_student_sees_who_downloaded_their_documents(world, client):
    client.force_login(world.a.student.user)
    response = client.get(reverse("portal:privacy"))
    assert response.status_code == 200
    assert world.users["Staff"].get_username() in response.content.decode()


def test_staff_see_the_per_student_access_report(world, client):
    client.force_login(world.users["Staff"])
    client.get(reverse("admin:scholarships_student_change", args=[world.a.student.pk]))
    response = client.get(reverse("admin:scholarships_student_accesses", args=[world.a.student.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert world.a.index.s3_key in page
    assert page.count("matrix-staff") >= 2  # the record view and the download


def test_files_opened_counts_each_student_once(world):
    staff = world.users["Staff"]
    for _ in range(3):
        StudentRecordAccess.objects.create(student=world.a.student, user=staff)
    StudentRecordAccess.objects.create(student=world.b.student, user=staff)
    assert files_opened(user_id=staff.pk, day=timezone.localdate()) == 2


def test_the_officer_is_alerted_once_a_day_past_the_limit(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_ALERT_FILES_PER_DAY = 2
    settings.PRIVACY_OFFICER_EMAIL = "officer@example.org"
    staff = world.users["Ops"]
    with django_capture_on_commit_callbacks(execute=True):
        for student in [world.a.student, world.b.student, *StudentFactory.create_batch(2)]:
            StudentRecordAccess.objects.create(student=student, user=staff)
    assert PrivacyAlert.objects.get(user=staff).files == 4
    assert OutgoingEmail.objects.filter(to="officer@example.org").count() == 1
    assert privacy_alert_check(user_id=staff.pk) is None  # not twice the same day


def test_no_alert_at_or_under_the_limit(world, settings, django_capture_on_commit_callbacks):
    settings.PRIVACY_ALERT_FILES_PER_DAY = 2
    with django_capture_on_commit_callbacks(execute=True):
        for student in [world.a.student, world.b.student]:
            StudentRecordAccess.objects.create(student=student, user=world.users["Ops"])
    assert not PrivacyAlert.objects.filter(user=world.users["Ops"]).exists()
    assert not [m for m in django_mail.outbox if "Privacy alert" in m.subject]


def test_the_officers_alert_is_written_in_the_sites_language(
    world, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "fr"
    settings.PRIVACY_ALERT_FILES_PER_DAY = 1
    settings.PRIVACY_OFFICER_EMAIL = "officer@example.org"
    staff = world.users["Ops"]
    with django_capture_on_commit_callbacks(execute=True):
        for student in [world.a.student, world.b.student]:
            StudentRecordAccess.objects.create(student=student, user=staff)

    email = OutgoingEmail.objects.get(to="officer@example.org")
    assert email.language == "fr"
    assert email.subject.startswith("Alerte de confidentialité")
    assert "/admin/portal/privacyalert/" in email.body
