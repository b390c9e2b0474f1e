"""Reads about students that more than one screen shows."""

from __future__ import annotations

from documents.models import DocumentAccess
from scholarships.models import Student, StudentRecordAccess


def student_record_openings(student: Student, *, limit: int = 500) -> list[StudentRecordAccess]:
    """Who opened the student's record in the admin (page or history), newest first."""
    return list(
        StudentRecordAccess.objects.filter(student=student)
        .select_related("user")
        .order_by("-accessed_at")[:limit]
    )


def student_document_downloads(student: Student, *, limit: int = 500) -> list[DocumentAccess]:
    """Who was handed a link to the student's documents, newest first (the student's own
    downloads included)."""
    return list(
        DocumentAccess.objects.filter(document__student=student)
        .select_related("user", "document")
        .order_by("-accessed_at")[:limit]
    )
