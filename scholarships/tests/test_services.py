import pytest

from avataq.tests.factories import StaffUserFactory
from scholarships import services
from scholarships.models import ScholarYear
from scholarships.tests.factories import ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_making_a_year_current_clears_the_previous_current_year():
    old = ScholarYearFactory(first=2024, is_current=True)
    new = ScholarYearFactory(first=2025)

    services.scholar_year_set_current(scholar_year=new)

    assert list(ScholarYear.objects.filter(is_current=True)) == [new]
    old.refresh_from_db()
    assert not old.is_current


def test_student_save_records_who_changed_what_in_the_history():
    staff = StaffUserFactory()
    student = StudentFactory(dependants=0)
    student.dependants = 2

    services.student_save(student=student, by=staff)

    latest = student.history.latest()
    assert latest.history_user == staff
    assert latest.dependants == 2
    delta = latest.diff_against(latest.prev_record, excluded_fields=["updated_at"])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("dependants", 0, 2)]
