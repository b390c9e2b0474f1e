"""Who may see which documents (the object rules of ``avataq.roles``).

- ``documents.can_view_documents`` (Staff, Finance, Ops): the explorer and every
  *student's* document;
- ``documents.can_view_school_documents`` (Staff, Finance): school documents too — an
  invoice lists several students, so it lives under the school and no student sees it;
- otherwise a staff user's assigned students (``scholarships.permissions``): the explorer,
  with those students' documents only;
- a student (a portal account linked to an active record): only documents whose subject
  is that student alone, of a type shown to students — never the explorer.

Views fetch through :func:`documents_visible_to`, so "does not exist" and "not yours" are
both a 404: there is nothing to probe.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from documents.models import DocumentIndex, DocumentType
from scholarships.models import Student
from scholarships.permissions import assigned_student_ids, has_assigned_students

VIEW_ALL_DOCUMENTS = "documents.can_view_documents"
VIEW_SCHOOL_DOCUMENTS = "documents.can_view_school_documents"

User = AbstractBaseUser | AnonymousUser
STUDENT_SUBJECT = Q(subject=DocumentIndex.Subject.STUDENT)


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def sees_all_documents(user: User) -> bool:
    return _active(user) and user.has_perm(VIEW_ALL_DOCUMENTS)


def sees_school_documents(user: User) -> bool:
    return _active(user) and user.has_perm(VIEW_SCHOOL_DOCUMENTS)


def explorer_open_to(user: User) -> bool:
    """Staff users with documents to see; never a student (they use the portal)."""
    if not (_active(user) and user.is_staff):
        return False
    return sees_all_documents(user) or sees_school_documents(user) or has_assigned_students(user)


def student_documents_of(student: Student) -> QuerySet[DocumentIndex]:
    """What a student may download of their own file: documents about them alone, of
    types meant for them, while their file is open."""
    if not student.is_active:
        return DocumentIndex.objects.none()
    shown = DocumentType.objects.filter(shown_to_student=True).values("code")
    return DocumentIndex.objects.filter(STUDENT_SUBJECT, student=student, category__in=shown)


def documents_visible_to(user: User) -> QuerySet[DocumentIndex]:
    if not _active(user):
        return DocumentIndex.objects.none()
    if not user.is_staff:
        student = Student.objects.filter(user=user).first()
        return student_documents_of(student) if student else DocumentIndex.objects.none()
    if sees_all_documents(user):
        students = STUDENT_SUBJECT
    else:
        students = STUDENT_SUBJECT & Q(student_id__in=assigned_student_ids(user))
    if sees_school_documents(user):
        return DocumentIndex.objects.filter(students | Q(subject=DocumentIndex.Subject.SCHOOL))
    return DocumentIndex.objects.filter(students)


def can_download_document(user: User, document: DocumentIndex) -> bool:
    return documents_visible_to(user).filter(pk=document.pk).exists()
