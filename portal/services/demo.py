"""A portal login for the embedded demo (``make run``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from portal.models import Account
from scholarships.models import Student

DEMO_STUDENT_EMAIL = "student@example.org"


# How many students with a checklist under way are looked at for the demo student.
CANDIDATES = 50


def _demo_student() -> Student | None:
    """The student the demo signs in as: one whose current enrollment (the dashboard's)
    has its checklist partly done — something sent, something still to send — with the
    longest history; else the one with the most enrollments."""
    from enrollment.models import ChecklistItem, Enrollment
    from portal.selectors import current_enrollment

    Item = ChecklistItem.Status
    unlinked = Student.objects.filter(user__isnull=True)
    under_way = (
        Enrollment.objects.filter(session__end_date__gte=timezone.localdate())
        .exclude(status__in=[Enrollment.Status.COMPLETED, *Enrollment.CLOSED_STATUSES])
        .filter(checklist__status__in=[Item.RECEIVED, Item.ACCEPTED])
        .filter(checklist__status__in=[Item.MISSING, Item.REFUSED])
    )
    candidates = (
        unlinked.filter(pk__in=under_way.values("student"))
        .annotate(n=Count("enrollments"))
        .order_by("-n", "pk")[:CANDIDATES]
    )
    for candidate in candidates:
        current = current_enrollment(candidate)
        if current is not None and under_way.filter(pk=current.pk).exists():
            return candidate
    return unlinked.annotate(n=Count("enrollments")).order_by("-n", "pk").first()


@transaction.atomic
def demo_student_ensure(*, password: str) -> Student | None:
    """The demo student account, linked to a student whose current enrollment has its
    checklist partly done (see :func:`_demo_student`; kept on later runs)."""
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
        student = _demo_student()
        if student is None:
            return None
        student.user = user
        student.save(update_fields=["user", "updated_at"])
    return student
