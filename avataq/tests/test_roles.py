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


# --- the declared table is the only source of the groups' permissions ----------------------
def test_every_permission_of_the_project_is_declared_in_the_table_or_superuser_only():
    from django.contrib.auth.models import Permission

    from avataq.roles import (
        CAPABILITIES,
        PROJECT_APPS,
        SUPERUSER_ONLY,
        SUPERUSER_ONLY_ACTIONS,
    )

    declared = {p for c in CAPABILITIES for p in (*c.permissions, *c.all_records)}
    undeclared = sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=PROJECT_APPS).select_related(
            "content_type"
        )
        if f"{p.content_type.app_label}.{p.codename}" not in declared | SUPERUSER_ONLY
        and not p.codename.startswith(tuple(f"{a}_" for a in SUPERUSER_ONLY_ACTIONS))
    )

    assert undeclared == [], "give these a row in avataq.roles.CAPABILITIES or SUPERUSER_ONLY"


def test_every_declared_permission_exists():
    from django.contrib.auth.models import Permission

    from avataq.roles import CAPABILITIES

    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    declared = {p for c in CAPABILITIES for p in (*c.permissions, *c.all_records)}

    assert declared - existing == set()


@pytest.mark.parametrize("role", ["Counsellors", "Staff", "Finance", "Ops"])
def test_each_group_holds_exactly_what_the_table_grants(role):
    from avataq.roles import Role, role_permissions

    group = Group.objects.get(name=role)
    held = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }

    assert held == set(role_permissions(Role(role)))


def test_a_permission_added_to_a_group_by_hand_is_taken_away_by_the_next_sync():
    from django.contrib.auth.models import Permission

    from avataq.roles import sync_group_permissions

    counsellors = Group.objects.get(name="Counsellors")
    counsellors.permissions.add(Permission.objects.get(codename="change_computingsheet"))

    sync_group_permissions()

    assert not counsellors.permissions.filter(codename="change_computingsheet").exists()


def test_only_roles_holding_a_capability_for_all_records_see_every_student():
    from avataq.roles import ALL_STUDENTS, Role, role_permissions

    assert ALL_STUDENTS in role_permissions(Role.STAFF)
    assert ALL_STUDENTS in role_permissions(Role.OPS)
    assert ALL_STUDENTS not in role_permissions(Role.COUNSELLOR)
    assert "documents.can_view_documents" not in role_permissions(Role.COUNSELLOR)


def test_computing_sheets_is_finance_work_alone():
    from avataq.roles import Role, role_permissions

    holders = [r for r in Role if "billing.add_computingsheet" in role_permissions(r)]

    assert holders == [Role.FINANCE]


def test_the_readme_shows_the_permission_table_as_declared():
    from pathlib import Path

    from avataq.roles import permission_table_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    assert permission_table_markdown() in readme, (
        "README's permission table is stale: paste `manage.py permission_table` into it"
    )
