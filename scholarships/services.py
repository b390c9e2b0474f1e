"""Writes for students, schools and scholar years. One transaction each."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from avataq import locks
from scholarships.models import (
    ScholarYear,
    Student,
    StudentRecordAccess,
    StudentUserObjectPermission,
)
from scholarships.permissions import STUDENT_OBJECT_CODENAME as STUDENT_DOCUMENTS
from scholarships.permissions import can_assign_student


def student_documents_permission() -> Permission:
    return Permission.objects.get(
        codename=STUDENT_DOCUMENTS, content_type__app_label="scholarships"
    )


@transaction.atomic
def student_grant_documents(*, student: Student, user: AbstractBaseUser) -> None:
    """Let ``user`` see this student's documents (a django-guardian object permission)."""
    StudentUserObjectPermission.objects.get_or_create(
        user=user, content_object=student, permission=student_documents_permission()
    )


@transaction.atomic
def student_revoke_documents(*, student: Student, user_id: int) -> None:
    StudentUserObjectPermission.objects.filter(
        user_id=user_id, content_object=student, permission=student_documents_permission()
    ).delete()


@transaction.atomic
def student_save(*, student: Student, by: AbstractBaseUser | None) -> Student:
    """Create or update a student after full validation; the history records ``by``.
    The counsellor follows the student's file: assigned, they may see and work on it;
    replaced, the previous one no longer may. Only Staff (``assign_student``) change who
    the counsellor is or which portal account is linked (``by=None``: the system)."""
    previous_counsellor, previous_user = (
        Student.objects.filter(pk=student.pk).values_list("counsellor_id", "user_id").first()
        if student.pk
        else (None, None)
    ) or (None, None)
    reassigned = (previous_counsellor, previous_user) != (student.counsellor_id, student.user_id)
    if reassigned and by is not None and not can_assign_student(by):
        raise PermissionDenied(_("Only Staff assign a student's counsellor or portal account."))
    student.full_clean()
    student._history_user = by
    student.save()
    if previous_counsellor != student.counsellor_id:
        if previous_counsellor:
            student_revoke_documents(student=student, user_id=previous_counsellor)
        if student.counsellor_id:
            student_grant_documents(student=student, user=student.counsellor)
    return student


@transaction.atomic
def student_record_access_log(
    *, student_id: int, user: AbstractBaseUser, view: str, ip_address: str | None
) -> StudentRecordAccess:
    """Log that ``user`` opened a student's record (its page, its history) in the admin."""
    return StudentRecordAccess.objects.create(
        student_id=student_id, user=user, view=view, ip_address=ip_address or None
    )


@transaction.atomic
def scholar_year_set_current(*, scholar_year: ScholarYear) -> ScholarYear:
    """Make ``scholar_year`` the one current year (the previous one stops being current)."""
    (years,) = locks.lock(ScholarYear.objects.filter(is_current=True))
    ScholarYear.objects.filter(pk__in=[y.pk for y in years if y.pk != scholar_year.pk]).update(
        is_current=False
    )
    ScholarYear.objects.filter(pk=scholar_year.pk).update(is_current=True)
    scholar_year.refresh_from_db()
    return scholar_year


# The CSV import is a service too; it lives in its own module for its size.
from scholarships.importing import ImportFileError, ImportReport, students_import  # noqa: E402

__all__ = [
    "ImportFileError",
    "ImportReport",
    "scholar_year_set_current",
    "student_grant_documents",
    "student_record_access_log",
    "student_revoke_documents",
    "student_save",
    "students_import",
]
