"""Counsellors see and edit only the students assigned to them, everywhere in the admin;
who a student's counsellor is, and which portal account is theirs, Staff alone decide."""

import pytest
from django.core.exceptions import PermissionDenied

from avataq.tests.factories import StaffUserFactory, UserFactory
from enrollment.tests.factories import EnrollmentFactory
from scholarships import services
from scholarships.models import Student
from scholarships.tests.factories import SessionFactory, StudentFactory

pytestmark = pytest.mark.django_db

STUDENTS = "/admin/scholarships/student/"


def assigned(counsellor, **fields) -> Student:
    student = StudentFactory(**fields)
    student.counsellor = counsellor
    return services.student_save(student=student, by=None)


@pytest.fixture
def counsellor():
    return StaffUserFactory(group="Counsellors")


@pytest.fixture
def mine(counsellor):
    return assigned(counsellor, status_no="500001", last_name="Mineqsiaq")


@pytest.fixture
def theirs():
    return assigned(StaffUserFactory(group="Counsellors"), status_no="500002", last_name="Otherok")


@pytest.fixture
def as_counsellor(client, counsellor):
    client.force_login(counsellor)
    return client


def student_form(student: Student, **overrides) -> dict:
    data = {
        "status_no": student.status_no,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "date_of_birth": student.date_of_birth.isoformat(),
        "community": student.community_id,
        "marital_status": student.marital_status,
        "dependants": student.dependants,
        "language": student.language,
        "is_active": "on",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_a_counsellor_lists_only_their_own_students(as_counsellor, mine, theirs):
    page = as_counsellor.get(STUDENTS).content.decode()

    assert mine.last_name in page
    assert theirs.last_name not in page


def test_a_counsellor_searching_a_status_number_finds_only_their_students(
    as_counsellor, mine, theirs
):
    page = as_counsellor.get(STUDENTS, {"q": theirs.status_no}).content.decode()

    assert theirs.last_name not in page


def test_another_students_page_answers_as_if_the_student_did_not_exist(as_counsellor, mine, theirs):
    other = as_counsellor.get(f"{STUDENTS}{theirs.pk}/change/")
    unknown = as_counsellor.get(f"{STUDENTS}999999/change/")

    assert other.status_code == unknown.status_code == 302
    assert other["Location"] == unknown["Location"] == "/admin/"


def test_another_students_history_is_refused(as_counsellor, theirs):
    response = as_counsellor.get(f"{STUDENTS}{theirs.pk}/history/")

    assert response.status_code == 403
    assert theirs.last_name.encode() not in response.content


def test_a_counsellor_cannot_make_themself_another_students_counsellor(
    as_counsellor, counsellor, mine, theirs
):
    response = as_counsellor.post(
        f"{STUDENTS}{theirs.pk}/change/", student_form(theirs, counsellor=counsellor.pk)
    )

    theirs.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert theirs.counsellor != counsellor


def test_a_counsellor_cannot_reassign_their_own_student_or_link_an_account(as_counsellor, mine):
    someone, account = StaffUserFactory(group="Counsellors"), UserFactory()

    page = as_counsellor.get(f"{STUDENTS}{mine.pk}/change/").content.decode()
    as_counsellor.post(
        f"{STUDENTS}{mine.pk}/change/",
        student_form(mine, counsellor=someone.pk, user=account.pk, phone="819-555-0100"),
    )

    mine.refresh_from_db()
    assert 'name="counsellor"' not in page and 'name="user"' not in page
    assert (mine.counsellor_id, mine.user_id) != (someone.pk, account.pk)
    assert mine.phone == "819-555-0100"  # what they may edit, they edit


def test_staff_assign_a_counsellor_who_then_works_on_that_student(client, theirs):
    new = StaffUserFactory(group="Counsellors")
    client.force_login(StaffUserFactory(group="Staff"))

    response = client.post(
        f"{STUDENTS}{theirs.pk}/change/", student_form(theirs, counsellor=new.pk)
    )

    assert response.status_code == 302, response.content
    client.force_login(new)
    assert client.get(f"{STUDENTS}{theirs.pk}/change/").status_code == 200


def test_the_service_refuses_a_reassignment_by_a_user_who_may_not_assign(counsellor, theirs):
    theirs.counsellor = counsellor

    with pytest.raises(PermissionDenied):
        services.student_save(student=theirs, by=counsellor)

    theirs.refresh_from_db()
    assert theirs.counsellor != counsellor


def test_a_counsellors_autocomplete_offers_only_their_students(as_counsellor, mine, theirs):
    response = as_counsellor.get(
        "/admin/autocomplete/",
        {"app_label": "enrollment", "model_name": "enrollment", "field_name": "student"},
    )

    offered = {row["id"] for row in response.json()["results"]}
    assert offered == {str(mine.pk)}


def test_a_counsellor_cannot_enroll_another_counsellors_student(as_counsellor, mine, theirs):
    session = SessionFactory()
    program = EnrollmentFactory.build().program
    program.school.save()
    program.school_id = program.school.pk
    program.save()

    response = as_counsellor.post(
        "/admin/enrollment/enrollment/add/",
        {
            "student": theirs.pk,
            "session": session.pk,
            "school": program.school_id,
            "program": program.pk,
            "load": "full_time",
            "credits": "0",
            "residence": "off_campus",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert b"Select a valid choice" in response.content
    assert not theirs.enrollments.exists()
