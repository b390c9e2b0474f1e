import pytest
from django.contrib.auth.models import Group

from avataq.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_the_three_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Staff", "Finance", "Ops"}


def test_staff_edit_students_and_enrollments_but_delete_nothing():
    user = StaffUserFactory(group="Staff")

    assert user.has_perms(["scholarships.change_student", "enrollment.add_enrollment"])
    assert not user.has_perm("scholarships.delete_student")
    assert not user.has_perm("enrollment.delete_enrollment")


def test_finance_see_students_without_changing_them():
    user = StaffUserFactory(group="Finance")

    assert user.has_perm("scholarships.view_student")
    assert not user.has_perm("scholarships.change_student")


def test_ops_see_everything_and_change_nothing_of_students():
    user = StaffUserFactory(group="Ops")

    assert user.has_perms(["scholarships.view_student", "enrollment.view_enrollment"])
    assert not user.has_perm("enrollment.change_enrollment")
