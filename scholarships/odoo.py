"""The cut-over from Odoo: schools, programs, scholar years, sessions and students, from
the program's own Odoo models (named in the mapping file: ``[school]``, ``[program]``,
``[scholar_year]``, ``[session]``, ``[student]``).

Written with the ORM in batches (``bulk_create_with_history`` for students, as
``students_import`` does), after the field validators the forms would run; the database
constraints hold as for any write. A student is matched to one already here by status
number (one made by the CSV import before the cut-over is taken over, never doubled)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from avataq.odoo import (
    MANY2ONE,
    FieldSpec,
    Importer,
    Job,
    ModelMap,
    ModelSpec,
    Refused,
    Row,
    register,
)
from avataq.odoo import values as v
from avataq.odoo.mapping import ANY
from scholarships.models import (
    MAX_DEPENDANTS,
    STATUS_NO_PATTERN,
    Community,
    Program,
    ScholarYear,
    School,
    Session,
    Student,
)


def validated(model: type, row_values: dict[str, Any], exclude: list[str]) -> dict[str, Any]:
    """Refused with the validators' own messages when a value would not pass a form."""
    try:
        model(**row_values).clean_fields(exclude=exclude)
    except ValidationError as exc:
        raise Refused(
            "; ".join(
                f"{name}: {' '.join(map(str, errors))}" for name, errors in exc.message_dict.items()
            )
        ) from None
    return row_values


def fold(text: str) -> str:
    """Accents and case aside: 'Kangiqsualujjuaq' = 'KANGIQSUALUJJUAQ', 'Québec' = 'quebec'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def active(mapped: ModelMap, row: Row, name: str = "is_active") -> bool:
    """Odoo's ``active``: an archived record is imported, inactive (the CSV export writes
    False as an empty cell); a record is active when the export has no such column."""
    if not mapped.has(name):
        return True
    return v.boolean(mapped.cell(row, name), mapped.what(name))


class SchoolImporter(Importer):
    key = "school"
    label = "scholarships.School"
    model = School
    natural_key = ("code",)
    verify_fields = ("code", "name", "is_active")
    spec = ModelSpec(
        key="school",
        fields=(
            FieldSpec("name"),
            FieldSpec("code"),
            FieldSpec("kind", choices=tuple(School.Kind.values)),
            FieldSpec("city"),
            FieldSpec("province", required=False, choices=tuple(School.Province.values)),
            FieldSpec("billing_email", required=False),
            FieldSpec("is_active", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        code = slugify(v.required_text(mapped.cell(row, "code"), mapped.what("code")))[:30]
        if not code:
            raise Refused(f"{mapped.what('code')} has no letter or digit to make a code")
        values = {
            "name": v.required_text(mapped.cell(row, "name"), mapped.what("name"))[:200],
            "code": code,
            "kind": v.choice(
                mapped.cell(row, "kind"),
                mapped.what("kind"),
                mapped.values.get("kind", {}),
                v.keys_of(School.Kind),
            ),
            "city": v.text(mapped.cell(row, "city"))[:100],
            "province": School.Province.QC,
            "billing_email": v.text(mapped.cell(row, "billing_email")),
            "is_active": active(mapped, row),
        }
        if v.text(mapped.cell(row, "province")):
            values["province"] = v.choice(
                mapped.cell(row, "province"),
                mapped.what("province"),
                mapped.values.get("province", {}),
                v.keys_of(School.Province),
            )
        return validated(School, values, exclude=[])


class ProgramImporter(Importer):
    key = "program"
    label = "scholarships.Program"
    model = Program
    depends = ("school",)
    refers = {"school": "school"}
    natural_key = ("school_id", "name")
    verify_fields = ("name", "school_id", "is_active")
    spec = ModelSpec(
        key="program",
        fields=(
            FieldSpec("name"),
            FieldSpec("school", MANY2ONE),
            FieldSpec("level", choices=tuple(Program.Level.values)),
            FieldSpec("is_active", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        values = {
            "name": v.required_text(mapped.cell(row, "name"), mapped.what("name"))[:200],
            "school_id": job.ref("school", mapped.one(row, "school"), mapped.what("school")),
            "level": v.choice(
                mapped.cell(row, "level"),
                mapped.what("level"),
                mapped.values.get("level", {}),
                v.keys_of(Program.Level),
            ),
            "is_active": active(mapped, row),
        }
        return validated(Program, values, exclude=["school"])


class ScholarYearImporter(Importer):
    key = "scholar_year"
    label = "scholarships.ScholarYear"
    model = ScholarYear
    natural_key = ("code",)
    verify_fields = ("code", "start_date", "end_date")
    spec = ModelSpec(
        key="scholar_year",
        fields=(
            FieldSpec("code"),
            FieldSpec("start_date"),
            FieldSpec("end_date"),
            FieldSpec("is_closed", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        code = v.required_text(mapped.cell(row, "code"), mapped.what("code")).replace("/", "-")
        start = v.required_day(mapped.cell(row, "start_date"), mapped.what("start_date"), job.zone)
        end = v.required_day(mapped.cell(row, "end_date"), mapped.what("end_date"), job.zone)
        if start >= end:
            raise Refused(f"the year starts ({start}) after it ends ({end})")
        values = {
            "code": code,
            "start_date": start,
            "end_date": end,
            "is_closed": v.boolean(mapped.cell(row, "is_closed"), mapped.what("is_closed")),
        }
        validated(ScholarYear, values, exclude=[])
        first, _, second = code.partition("-")
        if int(second) != int(first) + 1:
            raise Refused(f"{code} is not two consecutive years, like 2025-2026")
        return values

    def finish(self, job: Job, mapped: ModelMap, report: Any) -> None:
        # Which year is current is the program's decision today, not Odoo's: the year
        # that covers today, when none is current yet.
        if job.writes and not ScholarYear.objects.filter(is_current=True).exists():
            from django.utils import timezone

            today = timezone.localdate()
            covering = (
                ScholarYear.objects.filter(start_date__lte=today, end_date__gte=today)
                .order_by("code")
                .first()
            )
            if covering is not None:
                ScholarYear.objects.filter(pk=covering.pk).update(is_current=True)


class SessionImporter(Importer):
    key = "session"
    label = "scholarships.Session"
    model = Session
    depends = ("scholar_year",)
    refers = {"scholar_year": "scholar_year"}
    natural_key = ("scholar_year_id", "term")
    verify_fields = ("scholar_year_id", "term", "start_date", "end_date")
    spec = ModelSpec(
        key="session",
        fields=(
            FieldSpec("scholar_year", MANY2ONE),
            FieldSpec("term", choices=tuple(Session.Term.values)),
            FieldSpec("start_date"),
            FieldSpec("end_date"),
            FieldSpec("application_deadline", required=False),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        year_id = job.ref(
            "scholar_year", mapped.one(row, "scholar_year"), mapped.what("scholar_year")
        )
        start = v.required_day(mapped.cell(row, "start_date"), mapped.what("start_date"), job.zone)
        end = v.required_day(mapped.cell(row, "end_date"), mapped.what("end_date"), job.zone)
        deadline = v.day(
            mapped.cell(row, "application_deadline"),
            mapped.what("application_deadline"),
            job.zone,
        )
        year_start, year_end = job.attrs(ScholarYear, ("start_date", "end_date"))[year_id]
        if start >= end:
            raise Refused(f"the session starts ({start}) after it ends ({end})")
        if start < year_start or end > year_end:
            raise Refused(
                f"the session ({start} to {end}) is not inside its scholar year "
                f"({year_start} to {year_end})"
            )
        if deadline and deadline > start:
            deadline = None  # Odoo allowed a late deadline; ours may not be after the start
        return {
            "scholar_year_id": year_id,
            "term": v.choice(
                mapped.cell(row, "term"),
                mapped.what("term"),
                mapped.values.get("term", {}),
                v.keys_of(Session.Term),
            ),
            "start_date": start,
            "end_date": end,
            "application_deadline": deadline,
        }


class StudentImporter(Importer):
    key = "student"
    label = "scholarships.Student"
    model = Student
    natural_key = ("status_no",)
    verify_fields = ("status_no", "first_name", "last_name", "date_of_birth", "is_active")
    spec = ModelSpec(
        key="student",
        fields=(
            FieldSpec("status_no"),
            FieldSpec("first_name"),
            FieldSpec("last_name"),
            FieldSpec("date_of_birth"),
            FieldSpec("community", choices=ANY),  # a value map: Odoo's name = our code
            FieldSpec("email", required=False),
            FieldSpec("phone", required=False),
            FieldSpec(
                "marital_status", required=False, choices=tuple(Student.MaritalStatus.values)
            ),
            FieldSpec("dependants", required=False),
            FieldSpec("language", required=False, choices=("en", "fr")),
            FieldSpec("is_active", required=False),
        ),
    )

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        self.communities: dict[str, int] = {}
        for pk, name, code in Community.objects.values_list("pk", "name", "code"):
            self.communities[fold(name)] = pk
            self.communities[fold(code)] = pk

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        import re

        status_no = v.text(mapped.cell(row, "status_no")).replace(" ", "")
        if not status_no:
            raise Refused(f"the student has no status number ({mapped.what('status_no')})")
        if not re.match(STATUS_NO_PATTERN, status_no):
            raise Refused(f"status number {status_no!r} is not 1 to 12 digits")
        community_text = v.text(mapped.cell(row, "community"))
        community_key = mapped.values.get("community", {}).get(community_text, community_text)
        community = self.communities.get(fold(community_key))
        if community is None:
            raise Refused(
                f"community {community_text!r} is none of ours (by name or code); map it in "
                "[student.values.community]"
            )
        dependants = v.integer(mapped.cell(row, "dependants"), mapped.what("dependants"))
        if not 0 <= dependants <= MAX_DEPENDANTS:
            raise Refused(f"{dependants} dependants is not between 0 and {MAX_DEPENDANTS}")
        language = "en"
        if v.text(mapped.cell(row, "language")):
            language = v.choice(
                mapped.cell(row, "language"),
                mapped.what("language"),
                mapped.values.get("language", {}),
                ["en", "fr"],
            )
        marital = Student.MaritalStatus.SINGLE
        if v.text(mapped.cell(row, "marital_status")):
            marital = v.choice(
                mapped.cell(row, "marital_status"),
                mapped.what("marital_status"),
                mapped.values.get("marital_status", {}),
                v.keys_of(Student.MaritalStatus),
            )
        values = {
            "status_no": status_no,
            "first_name": v.required_text(
                mapped.cell(row, "first_name"), mapped.what("first_name")
            )[:100],
            "last_name": v.required_text(mapped.cell(row, "last_name"), mapped.what("last_name"))[
                :100
            ],
            "date_of_birth": v.required_day(
                mapped.cell(row, "date_of_birth"), mapped.what("date_of_birth"), job.zone
            ),
            "community_id": community,
            "email": v.text(mapped.cell(row, "email")).lower(),
            "phone": v.text(mapped.cell(row, "phone"))[:30],
            "marital_status": marital,
            "dependants": dependants,
            "language": language,
            "is_active": active(mapped, row),
        }
        return validated(Student, values, exclude=["community", "user", "counsellor"])


def register_importers() -> None:
    for importer in (
        SchoolImporter(),
        ProgramImporter(),
        ScholarYearImporter(),
        SessionImporter(),
        StudentImporter(),
    ):
        register(importer)
