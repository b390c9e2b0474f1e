"""Reads shared by the explorer and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from documents.models import DocumentIndex
from documents.permissions import documents_visible_to
from scholarships.models import Student


@dataclass(frozen=True)
class ExplorerFilters:
    q: str = ""
    student: str = ""
    scholar_year: str = ""
    category: str = ""
    school: int | None = None


def explorer_documents(*, user: AbstractBaseUser, filters: ExplorerFilters) -> QuerySet:
    """The index rows ``user`` may see, filtered, newest first, with what a row shows."""
    rows = documents_visible_to(user).select_related("student", "school")
    if filters.student:
        rows = rows.filter(student_reference=filters.student)
    if filters.scholar_year:
        rows = rows.filter(scholar_year=filters.scholar_year)
    if filters.category:
        rows = rows.filter(category=filters.category)
    if filters.school:
        rows = rows.filter(school_id=filters.school)
    for word in filters.q.split()[:5]:
        # Names are matched in the (small) student table first; the file name through
        # its trigram index.
        named = Student.objects.filter(
            Q(last_name__icontains=word) | Q(first_name__icontains=word)
        ).values("pk")
        rows = rows.filter(
            Q(filename__icontains=word) | Q(student_reference=word) | Q(student_id__in=named)
        )
    return rows.order_by("-pk")


def visible_document(*, user: AbstractBaseUser, pk: int) -> DocumentIndex | None:
    return documents_visible_to(user).filter(pk=pk).first()
