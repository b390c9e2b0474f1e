"""The cut-over from Odoo: inscriptions become enrollments, as history — each keeps the
status Odoo gave it, when it was submitted and decided, and why it was refused or
withdrawn; no workflow step is replayed (a step would send emails and stamp today).

Written with the ORM in batches with their history rows (``bulk_create_with_history``),
after the checks ``enrollment_create`` makes (the program is the school's, one live
enrollment per student and session); the database constraints hold as for any write."""

from __future__ import annotations

from typing import Any

from avataq.odoo import (
    MANY2ONE,
    FieldSpec,
    Importer,
    Job,
    ModelMap,
    ModelSpec,
    Pending,
    Refused,
    Row,
    register,
)
from avataq.odoo import values as v
from avataq.odoo.report import ModelReport
from enrollment.models import Enrollment
from scholarships.models import Program

Status = Enrollment.Status


class EnrollmentImporter(Importer):
    key = "enrollment"
    label = "enrollment.Enrollment"
    model = Enrollment
    depends = ("student", "session", "school", "program")
    refers = {"student": "student", "session": "session", "school": "school", "program": "program"}
    verify_fields = ("student_id", "session_id", "school_id", "status")
    spec = ModelSpec(
        key="enrollment",
        fields=(
            FieldSpec("student", MANY2ONE),
            FieldSpec("session", MANY2ONE),
            FieldSpec("school", MANY2ONE),
            FieldSpec("program", MANY2ONE),
            FieldSpec("load", choices=tuple(Enrollment.Load.values)),
            FieldSpec("credits", required=False),
            FieldSpec("residence", required=False, choices=tuple(Enrollment.Residence.values)),
            FieldSpec("status", choices=tuple(Status.values)),
            FieldSpec("submitted_at", required=False),
            FieldSpec("decided_at", required=False),
            FieldSpec("withdrawn_on", required=False),
            FieldSpec("status_reason", required=False),
            FieldSpec("notes", required=False),
        ),
    )

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        # The pairs a dry run's rows took (or freed): a real run finds them in the
        # database, written by the batches before.
        self.planned: dict[tuple[int, int], object] = {}

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        school_id = job.ref("school", mapped.one(row, "school"), mapped.what("school"))
        program_id = job.ref("program", mapped.one(row, "program"), mapped.what("program"))
        (program_school,) = job.attrs(Program, ("school_id",))[program_id]
        if program_school != school_id:
            raise Refused(f"program {mapped.one(row, 'program')} is not offered by that school")
        status = v.choice(
            mapped.cell(row, "status"),
            mapped.what("status"),
            mapped.values.get("status", {}),
            v.keys_of(Status),
        )
        withdrawn_on = v.day(
            mapped.cell(row, "withdrawn_on"), mapped.what("withdrawn_on"), job.zone
        )
        if status == Status.WITHDRAWN and withdrawn_on is None:
            raise Refused(f"withdrawn, with no withdrawal date ({mapped.what('withdrawn_on')})")
        credits = v.number(mapped.cell(row, "credits"), mapped.what("credits"))
        if credits < 0 or credits >= 1000:
            raise Refused(f"{credits} credits is not between 0 and 999.99")
        residence = Enrollment.Residence.OFF_CAMPUS
        if v.text(mapped.cell(row, "residence")):
            residence = v.choice(
                mapped.cell(row, "residence"),
                mapped.what("residence"),
                mapped.values.get("residence", {}),
                v.keys_of(Enrollment.Residence),
            )
        return {
            "student_id": job.ref("student", mapped.one(row, "student"), mapped.what("student")),
            "session_id": job.ref("session", mapped.one(row, "session"), mapped.what("session")),
            "school_id": school_id,
            "program_id": program_id,
            "load": v.choice(
                mapped.cell(row, "load"),
                mapped.what("load"),
                mapped.values.get("load", {}),
                v.keys_of(Enrollment.Load),
            ),
            "credits": credits,
            "residence": residence,
            "status": status,
            "submitted_at": v.moment(
                mapped.cell(row, "submitted_at"), mapped.what("submitted_at"), job.zone
            ),
            "decided_at": v.moment(
                mapped.cell(row, "decided_at"), mapped.what("decided_at"), job.zone
            ),
            "withdrawn_on": withdrawn_on if status == Status.WITHDRAWN else None,
            "status_reason": v.text(mapped.cell(row, "status_reason")),
            "notes": v.text(mapped.cell(row, "notes")),
        }

    def check(self, items: list[Pending], job: Job, report: ModelReport) -> list[Pending]:
        # One live enrollment per student and session: those here already (the batches
        # before included), for this batch's students only.
        students = list({i.values["student_id"] for i in items})
        live: dict[tuple[int, int], object] = {
            (student, session): pk
            for pk, student, session in Enrollment.objects.filter(student_id__any_of=students)
            .exclude(status__in=Enrollment.CLOSED_STATUSES)
            .values_list("pk", "student_id", "session_id")
        }
        for item in items:
            pair = (item.values["student_id"], item.values["session_id"])
            if pair in self.planned:
                live[pair] = self.planned[pair]
        kept = []
        for item in items:
            values = item.values
            pair = (values["student_id"], values["session_id"])
            if values["status"] in Enrollment.CLOSED_STATUSES:
                if live.get(pair) == item.object_id and item.object_id is not None:
                    live[pair] = None  # this one is closed now
                    self._plan(job, pair, None)
                kept.append(item)
                continue
            holder = live.get(pair)
            me = item.object_id or ("new", item.row.where)
            if holder is not None and holder != me:
                report.refuse(
                    item.row.where,
                    "the student already has a live enrollment for this session",
                )
                continue
            # Until written, a new one holds the pair by where it was read (never an id).
            live[pair] = me
            self._plan(job, pair, me)
            kept.append(item)
        return kept

    def _plan(self, job: Job, pair: tuple[int, int], holder: object) -> None:
        if not job.writes:  # nothing written for the next batch to find
            self.planned[pair] = holder


def register_importers() -> None:
    register(EnrollmentImporter())
