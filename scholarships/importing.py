"""``students_import``: create or update students from a CSV file, keyed by status_no.

Every row is parsed and validated first; the valid rows are then written together in one
transaction (bulk, with history), so a file is never half-applied: a bad row is reported
with its line number and reason and skipped, the good rows are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from avataq.errors import AvataqError
from scholarships.models import Community, Student

REQUIRED_COLUMNS = ("status_no", "first_name", "last_name", "date_of_birth", "community")
OPTIONAL_COLUMNS = ("email", "phone", "marital_status", "dependants", "is_active")
UPDATABLE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "community",
    "email",
    "phone",
    "marital_status",
    "dependants",
    "is_active",
)
_BOOLEANS = {"1": True, "yes": True, "true": True, "0": False, "no": False, "false": False}
_BATCH = 2000


class ImportFileError(AvataqError, ValueError):
    """The file as a whole cannot be read (missing columns, not CSV): nothing is imported."""

    code = "import_file"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class RowError(AvataqError, ValueError):
    code = "import_row"


def _parse_date(value: str, column: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise RowError(
            _("%(column)s %(value)r is not a date in YYYY-MM-DD form")
            % {"column": column, "value": value}
        ) from None
    if parsed > timezone.localdate():
        raise RowError(
            _("%(column)s %(value)s is in the future") % {"column": column, "value": value}
        )
    return parsed


def _parse_row(row: dict[str, str], communities: dict[str, Community]) -> dict[str, Any]:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    for column in REQUIRED_COLUMNS:
        if not cell(column):
            raise RowError(_("%(column)s is empty") % {"column": column})
    community = communities.get(cell("community").casefold())
    if community is None:
        raise RowError(_("unknown community %(name)r") % {"name": cell("community")})
    values: dict[str, Any] = {
        "first_name": cell("first_name"),
        "last_name": cell("last_name"),
        "date_of_birth": _parse_date(cell("date_of_birth"), "date_of_birth"),
        "community": community,
    }
    for column in ("email", "phone"):
        if column in row:
            values[column] = cell(column)
    if "marital_status" in row:
        status = cell("marital_status").lower() or Student.MaritalStatus.SINGLE
        if status not in Student.MaritalStatus.values:
            allowed = ", ".join(Student.MaritalStatus.values)
            raise RowError(
                _("marital_status %(value)r is not one of: %(allowed)s")
                % {"value": status, "allowed": allowed}
            )
        values["marital_status"] = status
    if "dependants" in row:
        raw = cell("dependants") or "0"
        if not raw.isdigit():
            raise RowError(_("dependants %(value)r is not a whole number") % {"value": raw})
        values["dependants"] = int(raw)
    if "is_active" in row:
        raw = cell("is_active").lower() or "yes"
        if raw not in _BOOLEANS:
            raise RowError(_("is_active %(value)r is not yes/no") % {"value": raw})
        values["is_active"] = _BOOLEANS[raw]
    return values


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(str(m) for m in error.messages)


def _community_lookup() -> dict[str, Community]:
    lookup: dict[str, Community] = {}
    for community in Community.objects.all():
        lookup[community.name.casefold()] = community
        lookup[community.code.casefold()] = community
    return lookup


def _existing_students(status_nos: list[str]) -> dict[str, Student]:
    existing: dict[str, Student] = {}
    for start in range(0, len(status_nos), _BATCH):
        chunk = status_nos[start : start + _BATCH]
        existing.update({s.status_no: s for s in Student.objects.filter(status_no__in=chunk)})
    return existing


def students_import(
    *, lines: Iterable[str], dry_run: bool = False, by: AbstractBaseUser | None = None
) -> ImportReport:
    """Create or update students from CSV ``lines`` (header row first)."""
    reader = csv.DictReader(lines)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise ImportFileError(_("line 1: not a CSV header (%(error)s)") % {"error": exc}) from None
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            _("line 1: missing column(s): %(names)s") % {"names": ", ".join(missing)}
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise ImportFileError(
            _("line 1: unknown column(s): %(names)s") % {"names": ", ".join(unknown)}
        )

    report = ImportReport(dry_run=dry_run)
    parsed: list[tuple[int, str, dict[str, Any]]] = []
    communities = _community_lookup()
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                report.errors.append((line, "more cells than columns in the header"))
                continue
            status_no = (row.get("status_no") or "").strip()
            if status_no in seen:
                report.errors.append(
                    (line, f"status_no {status_no} repeats line {seen[status_no]}")
                )
                continue
            try:
                values = _parse_row(row, communities)
            except RowError as exc:
                report.errors.append((line, str(exc)))
                continue
            seen[status_no] = line
            parsed.append((line, status_no, values))
    except csv.Error as exc:
        raise ImportFileError(
            _("line %(line)d: malformed CSV (%(error)s)") % {"line": reader.line_num, "error": exc}
        ) from None

    existing = _existing_students([status_no for _, status_no, _ in parsed])
    to_create: list[Student] = []
    to_update: list[Student] = []
    for line, status_no, values in parsed:
        student = existing.get(status_no)
        is_new = student is None
        if is_new:
            student = Student(status_no=status_no)
        elif all(getattr(student, name) == value for name, value in values.items()):
            report.unchanged += 1
            continue
        for name, value in values.items():
            setattr(student, name, value)
        try:
            # Constraints are checked in Python by the field validators; skipping the
            # per-row constraint and uniqueness queries keeps a big file fast (the
            # database still enforces both).
            student.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            report.errors.append((line, _validation_message(exc)))
            continue
        (to_create if is_new else to_update).append(student)

    report.created, report.updated = len(to_create), len(to_update)
    if not dry_run:
        with transaction.atomic():
            now = timezone.now()
            for student in to_create + to_update:
                student.updated_at = now
                student.created_at = student.created_at or now
            if to_create:
                bulk_create_with_history(to_create, Student, batch_size=_BATCH, default_user=by)
            if to_update:
                bulk_update_with_history(
                    to_update,
                    Student,
                    [*UPDATABLE_FIELDS, "updated_at"],
                    batch_size=_BATCH,
                    default_user=by,
                )
    return report
