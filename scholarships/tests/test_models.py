"""The invariants hold in the database itself, whoever writes (admin, import, raw ORM)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scholarships.models import Community, ScholarYear, Session, Student
from scholarships.tests.factories import (
    CommunityFactory,
    ScholarYearFactory,
    SessionFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db


def test_the_fourteen_communities_of_nunavik_are_seeded():
    assert Community.objects.count() == 14
    assert set(Community.objects.values_list("coast", flat=True)) == {"hudson", "ungava"}


@pytest.mark.parametrize("status_no", ["12a45", "12 45", "../1", "-1", ""])
def test_database_refuses_a_status_no_that_is_not_digits(status_no):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(status_no=status_no)


def test_status_no_is_unique():
    StudentFactory(status_no="12345")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(status_no="12345")


def test_validation_names_a_status_no_longer_than_twelve_digits():
    student = StudentFactory.build(status_no="1234567890123", community=CommunityFactory())
    with pytest.raises(ValidationError) as error:
        student.full_clean()
    assert "status_no" in error.value.message_dict


def test_database_refuses_a_negative_number_of_dependants():
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(dependants=-1)


@pytest.mark.parametrize("code", ["2025-2027", "2025-2025", "2025/2026", "abcd-efgh", "2025"])
def test_database_refuses_a_scholar_year_code_that_is_not_two_consecutive_years(code):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScholarYear.objects.create(
            code=code, start_date=dt.date(2025, 8, 1), end_date=dt.date(2026, 7, 31)
        )


def test_scholar_year_code_error_is_readable_in_a_form():
    year = ScholarYear(
        code="2025-2027", start_date=dt.date(2025, 8, 1), end_date=dt.date(2026, 7, 31)
    )
    with pytest.raises(ValidationError, match="two consecutive years"):
        year.full_clean()


def test_database_refuses_a_scholar_year_that_ends_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        ScholarYear.objects.create(
            code="2025-2026", start_date=dt.date(2026, 7, 31), end_date=dt.date(2025, 8, 1)
        )


def test_database_allows_only_one_current_scholar_year():
    ScholarYearFactory(first=2024, is_current=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScholarYearFactory(first=2025, is_current=True)


def test_database_refuses_two_sessions_of_the_same_term_in_one_year():
    session = SessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            scholar_year=session.scholar_year,
            term=session.term,
            start_date=session.start_date,
            end_date=session.end_date,
        )


def test_database_refuses_a_session_outside_its_scholar_year():
    year = ScholarYearFactory(first=2025)
    with pytest.raises(IntegrityError, match="outside scholar year"), transaction.atomic():
        Session.objects.create(
            scholar_year=year,
            term=Session.Term.SUMMER,
            start_date=dt.date(2026, 5, 12),
            end_date=dt.date(2026, 8, 15),
        )


def test_database_refuses_shrinking_a_year_so_a_session_falls_outside():
    session = SessionFactory()
    year = session.scholar_year
    year.start_date = dt.date(2025, 9, 1)
    with pytest.raises(IntegrityError, match="outside"), transaction.atomic():
        year.save()


def test_session_outside_its_year_is_a_readable_validation_error():
    year = ScholarYearFactory(first=2025)
    session = Session(
        scholar_year=year,
        term="fall",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2025, 12, 1),
    )
    with pytest.raises(ValidationError, match="inside its scholar year"):
        session.full_clean()


def test_database_refuses_an_application_deadline_after_the_session_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionFactory(application_deadline=dt.date(2025, 9, 1))


def test_session_reads_as_term_and_year():
    assert str(SessionFactory(term="fall")) == "Fall 2025"
    assert SessionFactory(term="fall").code == "2025F"


def test_student_str_carries_the_status_no():
    student = StudentFactory(first_name="Annie", last_name="Qumaluk", status_no="4242")
    assert str(student) == "Qumaluk, Annie (4242)"
    assert Student.objects.get(status_no="4242").full_name == "Annie Qumaluk"
