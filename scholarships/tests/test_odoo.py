"""The cut-over from Odoo: schools, programs, years, sessions and students."""

import datetime as dt

import pytest

from avataq.models import LegacyRecord
from avataq.odoo.tests.exports import ELISAPIE, LUCASSIE, NO_STATUS, import_odoo
from scholarships.models import Program, School, Session, Student

pytestmark = pytest.mark.django_db


def test_accented_names_are_kept_as_odoo_wrote_them(imported):
    student = Student.objects.get(status_no="10234")
    assert (student.first_name, student.last_name) == ("Élisapie", "Qumaluk")
    assert School.objects.get(code="cmv").name == "Cégep Marie-Victorin"


def test_an_archived_student_is_imported_inactive(imported):
    assert Student.objects.get(status_no="30789").is_active is False


def test_an_archived_program_is_imported_inactive(imported):
    assert Program.objects.get(name="Soins infirmiers").is_active is False


def test_a_student_without_status_number_is_not_imported(imported):
    assert not LegacyRecord.objects.filter(external_id=NO_STATUS).exists()
    assert not Student.objects.filter(first_name="Annie").exists()


def test_the_community_is_found_by_name_whatever_the_case(imported):
    assert Student.objects.get(status_no="20456").community.code == "inukjuak"


def test_odoo_language_and_marital_status_map_to_ours(imported):
    elisapie, tomassie = (
        Student.objects.get(status_no="10234"),
        Student.objects.get(status_no="20456"),
    )
    assert (elisapie.language, tomassie.language) == ("fr", "en")
    assert tomassie.marital_status == Student.MaritalStatus.COMMON_LAW


def test_a_session_with_an_empty_deadline_has_none(imported):
    assert Session.objects.get(term="winter").application_deadline is None
    assert Session.objects.get(term="fall").application_deadline == dt.date(2024, 6, 1)


def test_a_student_made_here_before_the_cut_over_is_taken_over_not_doubled(exports):
    from scholarships.tests.factories import StudentFactory

    existing = StudentFactory(status_no="10234", first_name="Elisapie")
    import_odoo(str(exports))
    assert Student.objects.filter(status_no="10234").count() == 1
    assert LegacyRecord.objects.get(external_id=ELISAPIE).object_id == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "Élisapie"


def test_archived_students_are_not_refused_for_their_empty_user(imported):
    assert LegacyRecord.objects.filter(external_id=LUCASSIE).exists()


def test_an_imported_students_admin_page_shows_its_odoo_origin(imported, admin_client):
    student = Student.objects.get(status_no="20456")
    response = admin_client.get(f"/admin/scholarships/student/{student.pk}/change/")
    assert response.status_code == 200
    assert "avataq_sponsorship.student_tomassie" in response.content.decode()
