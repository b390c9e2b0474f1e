import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory, UserFactory
from scholarships.models import ScholarYear, Student
from scholarships.tests.factories import CommunityFactory, ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(group="Staff"))
    return client


def changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_student_changelist_query_count_does_not_grow_with_rows(staff_client):
    counsellors = [UserFactory(is_staff=True) for _ in range(3)]
    StudentFactory.create_batch(5, counsellor=counsellors[0])
    small = changelist_queries(staff_client, "/admin/scholarships/student/")

    for i in range(45):
        StudentFactory(counsellor=counsellors[i % 3])
    large = changelist_queries(staff_client, "/admin/scholarships/student/")

    assert Student.objects.count() == 50
    assert small == large


def test_student_changelist_finds_a_student_by_status_no(staff_client):
    StudentFactory(status_no="777001", last_name="Annanack")
    StudentFactory(status_no="777002", last_name="Okpik")

    response = staff_client.get("/admin/scholarships/student/", {"q": "777001"})

    assert b"Annanack" in response.content
    assert b"Okpik" not in response.content


def test_staff_add_a_student_in_the_admin_and_the_history_names_them(client):
    staff = StaffUserFactory(group="Staff")
    client.force_login(staff)
    data = {
        "status_no": "424242",
        "first_name": "Minnie",
        "last_name": "Etok",
        "date_of_birth": "2002-02-02",
        "marital_status": "single",
        "dependants": "0",
        "is_active": "on",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
    }
    data["community"] = str(CommunityFactory().pk)

    response = client.post("/admin/scholarships/student/add/", data)

    assert response.status_code == 302, response.content
    student = Student.objects.get(status_no="424242")
    assert student.history.get().history_user == staff


def test_student_history_page_shows_the_change_and_its_author(client):
    staff = StaffUserFactory(group="Staff", username="counsellor.lucy")
    client.force_login(staff)
    student = StudentFactory()
    data = {
        "status_no": student.status_no,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "date_of_birth": student.date_of_birth.isoformat(),
        "community": str(student.community_id),
        "marital_status": "married",
        "dependants": "1",
        "is_active": "on",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
    }
    assert client.post(f"/admin/scholarships/student/{student.pk}/change/", data).status_code == 302

    response = client.get(f"/admin/scholarships/student/{student.pk}/history/")

    assert response.status_code == 200
    assert b"counsellor.lucy" in response.content


def test_make_current_action_switches_the_current_year(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    ScholarYearFactory(first=2024, is_current=True)
    new = ScholarYearFactory(first=2025)

    response = client.post(
        "/admin/scholarships/scholaryear/",
        {"action": "make_current", "_selected_action": [new.pk]},
    )

    assert response.status_code == 302
    assert ScholarYear.objects.get(is_current=True) == new


# --- the counsellor, by name ----------------------------------------------------------------
@pytest.fixture
def annie():
    return StaffUserFactory(
        group="Counsellors", username="annie.baron", first_name="Annie", last_name="Baron"
    )


def test_staff_see_a_students_counsellor_by_full_name(staff_client, annie):
    student = StudentFactory(counsellor=annie)

    page = staff_client.get(f"/admin/scholarships/student/{student.pk}/change/").content.decode()
    listed = staff_client.get("/admin/scholarships/student/").content.decode()

    assert ">Annie Baron</option>" in page and "annie.baron" not in page
    assert "Annie Baron" in listed and "annie.baron" not in listed


def test_a_counsellor_sees_themself_by_full_name_on_their_students_page(client, annie):
    from scholarships import services

    student = StudentFactory()
    student.counsellor = annie
    services.student_save(student=student, by=None)
    client.force_login(annie)

    page = client.get(f"/admin/scholarships/student/{student.pk}/change/").content.decode()

    assert "Annie Baron" in page and "annie.baron" not in page.replace("Annie Baron", "")


def test_a_counsellor_without_a_name_shows_by_username(staff_client):
    student = StudentFactory(counsellor=StaffUserFactory(username="ops.bot"))

    page = staff_client.get(f"/admin/scholarships/student/{student.pk}/change/").content.decode()

    assert ">ops.bot</option>" in page


# --- dates of birth in the History: only to the roles that see them ---------------------------
HIDDEN_CHANGE = "hidden&nbsp;&rarr; hidden"


def _birth_date_corrected() -> tuple[Student, str]:
    """A student whose date of birth was corrected; the new date as the admin writes it."""
    import datetime as dt

    from django.utils import formats

    from scholarships import services

    student = StudentFactory(date_of_birth=dt.date(2003, 4, 12))
    student.date_of_birth = dt.date(2001, 9, 30)
    services.student_save(student=student, by=None)
    return student, formats.localize(student.date_of_birth)


def test_the_history_hides_date_of_birth_changes_from_a_role_without_the_permission(client):
    student, shown = _birth_date_corrected()
    client.force_login(StaffUserFactory(group="Finance"))

    page = client.get(f"/admin/scholarships/student/{student.pk}/history/").content.decode()

    assert "<strong>Date of birth</strong>" in page and HIDDEN_CHANGE in page
    assert shown not in page and "2001" not in page and "2003" not in page


def test_the_history_shows_date_of_birth_changes_to_a_role_with_the_permission(staff_client):
    student, shown = _birth_date_corrected()

    page = staff_client.get(f"/admin/scholarships/student/{student.pk}/history/").content.decode()

    assert shown in page
    assert HIDDEN_CHANGE not in page
