"""The demo student (``demo_student_login``) shows the portal in the middle of things."""

import pytest
from django.core.management import call_command

from enrollment.models import ChecklistItem
from portal import selectors
from portal.services.demo import demo_student_ensure

pytestmark = pytest.mark.django_db


def test_the_demo_student_has_a_current_enrollment_with_its_checklist_partly_done(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--students", "60")

    student = demo_student_ensure(password="correct horse battery staple")

    current = selectors.current_enrollment(student)
    statuses = set(current.checklist.values_list("status", flat=True))
    Item = ChecklistItem.Status
    assert statuses & {Item.RECEIVED, Item.ACCEPTED}
    assert statuses & {Item.MISSING, Item.REFUSED}


def test_the_demo_student_stays_the_same_on_a_later_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--students", "10")
    first = demo_student_ensure(password="correct horse battery staple")

    assert demo_student_ensure(password="another one, later") == first
