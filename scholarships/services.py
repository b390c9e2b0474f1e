"""Writes for students, schools and scholar years. One transaction each."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from scholarships.models import ScholarYear, Student


@transaction.atomic
def student_save(*, student: Student, by: AbstractBaseUser | None) -> Student:
    """Create or update a student after full validation; the history records ``by``."""
    student.full_clean()
    student._history_user = by
    student.save()
    return student


@transaction.atomic
def scholar_year_set_current(*, scholar_year: ScholarYear) -> ScholarYear:
    """Make ``scholar_year`` the one current year (the previous one stops being current)."""
    years = list(ScholarYear.objects.select_for_update().filter(is_current=True).order_by("pk"))
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
    "student_save",
    "students_import",
]
