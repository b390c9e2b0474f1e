"""Which students a user may see and work on (the object rule of ``avataq.roles``).

- ``scholarships.access_all_students`` (Staff, Finance, Ops): every student;
- otherwise the students on which the user, or one of their groups, holds the object
  permission ``scholarships.view_student_documents`` — a counsellor's own students (it is
  granted when Staff assign the counsellor, and revoked when they assign another);
- and a portal user's own student record.

Everything scoped to students (the admin's students, enrollments, their documents and
checklists; the document explorer) fetches through :func:`student_ids_visible_to`, so a
record outside the scope answers like one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import Model, QuerySet

from avataq.roles import ALL_STUDENTS
from scholarships.models import Student, StudentGroupObjectPermission, StudentUserObjectPermission

STUDENT_OBJECT_CODENAME = "view_student_documents"
ASSIGN_STUDENT = "scholarships.assign_student"

User = AbstractBaseUser | AnonymousUser


def _permission_ids(user: User) -> list[int]:
    # Looked up once per request's user rather than joined in: with a plain
    # ``permission_id IN (…)`` the planner estimates how many students a user holds, and
    # pages the explorer through the primary key instead of sorting every visible row.
    if not hasattr(user, "_student_object_permission_ids"):
        user._student_object_permission_ids = list(
            Permission.objects.filter(
                codename=STUDENT_OBJECT_CODENAME, content_type__app_label="scholarships"
            ).values_list("pk", flat=True)
        )
    return user._student_object_permission_ids


def _granted(model: type[Model], requester: User, **who: object) -> QuerySet:
    return (
        model.objects.filter(permission_id__in=_permission_ids(requester), **who)
        .order_by()
        .values("content_object_id")
    )


def sees_all_students(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(ALL_STUDENTS))


def assigned_student_ids(user: User) -> QuerySet:
    """Ids of the students ``user`` holds the object permission on (directly or through a
    group): not guardian's generic ``get_objects_for_user``, which is slow at this scale."""
    return _granted(StudentUserObjectPermission, user, user=user).union(
        _granted(StudentGroupObjectPermission, user, group__user=user)
    )


def student_ids_visible_to(user: User) -> QuerySet:
    """Ids of the students ``user`` may see without ``access_all_students``: those
    assigned to them and their own record, as one ``UNION`` subquery."""
    return assigned_student_ids(user).union(
        Student.objects.filter(user=user).order_by().values("pk")
    )


def has_assigned_students(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            _granted(StudentUserObjectPermission, user, user=user).exists()
            or _granted(StudentGroupObjectPermission, user, group__user=user).exists()
        )
    )


def scope_to_students(queryset: QuerySet, user: User, student_path: str) -> QuerySet:
    """``queryset`` narrowed to rows whose student (reached by ``student_path``, e.g.
    ``enrollment__student``; ``pk`` for students themselves) ``user`` may see."""
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if sees_all_students(user):
        return queryset
    return queryset.filter(**{f"{student_path}__in": assigned_student_ids(user)})


def can_assign_student(user: User) -> bool:
    """Only Staff say who a student's counsellor is and which account is theirs."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(ASSIGN_STUDENT))
