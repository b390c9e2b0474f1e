"""Who may see which documents.

- ``documents.can_view_documents`` (global): the explorer and every document;
- a django-guardian object permission ``scholarships.view_student_documents`` on a
  student (a counsellor's own students; a group's too): the explorer, with that
  student's documents only;
- the student whose record the user account is linked to: their own documents, in the
  portal — not the explorer.

Views fetch through :func:`documents_visible_to`, so "does not exist" and "not yours" are
both a 404: there is nothing to probe.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import QuerySet

from documents.models import DocumentIndex
from scholarships.models import Student, StudentGroupObjectPermission, StudentUserObjectPermission

VIEW_ALL_DOCUMENTS = "documents.can_view_documents"
STUDENT_DOCUMENTS_CODENAME = "view_student_documents"

User = AbstractBaseUser | AnonymousUser


def _permission_ids(user: User) -> list[int]:
    # Looked up once per request's user rather than joined in: with a plain
    # ``permission_id IN (…)`` the planner estimates how many students a user holds, and
    # pages the explorer through the primary key instead of sorting every visible row.
    if not hasattr(user, "_student_documents_permission_ids"):
        user._student_documents_permission_ids = list(
            Permission.objects.filter(
                codename=STUDENT_DOCUMENTS_CODENAME, content_type__app_label="scholarships"
            ).values_list("pk", flat=True)
        )
    return user._student_documents_permission_ids


def _granted(model: type, requester: User, **who: object) -> QuerySet:
    return (
        model.objects.filter(permission_id__in=_permission_ids(requester), **who)
        .order_by()
        .values("content_object_id")
    )


def students_visible_to(user: User) -> QuerySet:
    """Ids of the students whose documents ``user`` may see without the global
    permission: object permissions on the direct foreign-key tables (directly or
    through a group) and their own student record, as one ``UNION`` subquery. Not
    guardian's generic ``get_objects_for_user``, which is slow at this scale."""
    return (
        _granted(StudentUserObjectPermission, user, user=user)
        .union(_granted(StudentGroupObjectPermission, user, group__user=user))
        .union(Student.objects.filter(user=user).order_by().values("pk"))
    )


def sees_all_documents(user: User) -> bool:
    return bool(user.is_active and user.has_perm(VIEW_ALL_DOCUMENTS))


def explorer_open_to(user: User) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if sees_all_documents(user):
        return True
    return (
        _granted(StudentUserObjectPermission, user, user=user).exists()
        or _granted(StudentGroupObjectPermission, user, group__user=user).exists()
    )


def documents_visible_to(user: User) -> QuerySet[DocumentIndex]:
    if not (user.is_authenticated and user.is_active):
        return DocumentIndex.objects.none()
    if sees_all_documents(user):
        return DocumentIndex.objects.all()
    return DocumentIndex.objects.filter(student_id__in=students_visible_to(user))


def can_download_document(user: User, document: DocumentIndex) -> bool:
    return documents_visible_to(user).filter(pk=document.pk).exists()
