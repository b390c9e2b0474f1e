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

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from documents.models import DocumentIndex
from scholarships.models import StudentGroupObjectPermission, StudentUserObjectPermission

VIEW_ALL_DOCUMENTS = "documents.can_view_documents"
STUDENT_DOCUMENTS_CODENAME = "view_student_documents"

User = AbstractBaseUser | AnonymousUser


def _granted(model: type, **who: object) -> QuerySet:
    return model.objects.filter(
        permission__codename=STUDENT_DOCUMENTS_CODENAME,
        permission__content_type__app_label="scholarships",
        **who,
    ).values("content_object_id")


def students_granted_to(user: User) -> Q:
    """Students ``user`` holds the object permission on, directly or through a group:
    two ``id IN (subquery)`` on the direct foreign-key tables, not guardian's generic
    ``get_objects_for_user``, which is slow at this scale."""
    return Q(student_id__in=_granted(StudentUserObjectPermission, user=user)) | Q(
        student_id__in=_granted(StudentGroupObjectPermission, group__user=user)
    )


def sees_all_documents(user: User) -> bool:
    return bool(user.is_active and user.has_perm(VIEW_ALL_DOCUMENTS))


def explorer_open_to(user: User) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if sees_all_documents(user):
        return True
    return (
        _granted(StudentUserObjectPermission, user=user).exists()
        or _granted(StudentGroupObjectPermission, group__user=user).exists()
    )


def documents_visible_to(user: User) -> QuerySet[DocumentIndex]:
    if not (user.is_authenticated and user.is_active):
        return DocumentIndex.objects.none()
    if sees_all_documents(user):
        return DocumentIndex.objects.all()
    return DocumentIndex.objects.filter(students_granted_to(user) | Q(student__user=user))


def can_download_document(user: User, document: DocumentIndex) -> bool:
    return documents_visible_to(user).filter(pk=document.pk).exists()
