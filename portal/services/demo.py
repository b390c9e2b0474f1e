"""A portal login for the embedded demo (``make run``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from portal.models import Account
from scholarships.models import Student

DEMO_STUDENT_EMAIL = "student@example.org"


@transaction.atomic
def demo_student_ensure(*, password: str) -> Student | None:
    """The demo student account, linked to the student with the most enrollments (kept
    on later runs)."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=DEMO_STUDENT_EMAIL, defaults={"email": DEMO_STUDENT_EMAIL}
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    Account.objects.get_or_create(
        user=user, defaults={"email": DEMO_STUDENT_EMAIL, "confirmed_at": timezone.now()}
    )
    student = Student.objects.filter(user=user).first()
    if student is None:
        student = (
            Student.objects.filter(user__isnull=True)
            .annotate(n=Count("enrollments"))
            .order_by("-n", "pk")
            .first()
        )
        if student is None:
            return None
        student.user = user
        student.save(update_fields=["user", "updated_at"])
    return student
