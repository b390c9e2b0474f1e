"""The cut-over from Odoo: the documents are already in the bucket (the old Django side
stored them there, under ``{status_no}/{scholar_year}/…``); once the students are
imported, the existing reindex service (``documents_reindex``) indexes every object and
links it to its student by status number. The report lists, for a person to look at,
the objects whose student (or school) is unknown here — the reindex cannot link them, so
they are not indexed — and those whose scholar year is unknown here: they are indexed
with their student all the same (a document from before Odoo's first scholar year is
still the student's), as ``reindex_documents`` would."""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.utils.translation import gettext as _

from avataq.odoo import Importer, Job, ModelSpec
from avataq.odoo.report import ModelReport
from documents import keys
from documents.models import DocumentIndex
from documents.services import _is_document_object, documents_reindex
from documents.storage import document_storage


class DocumentIndexImporter(Importer):
    key = "documents"
    label = "documents.DocumentIndex"
    model = DocumentIndex
    depends = ("student", "scholar_year", "school")
    reads_source = False
    spec = ModelSpec(key="documents", odoo_model="(the documents bucket)", fields=())

    def _object(
        self,
        obj: Any,
        parts: Any,
        students: set[str],
        schools: set[str],
        years: set[str],
        indexed: set[str],
        job: Job,
        report: ModelReport,
    ) -> int:
        """One object of the bucket: counted, and noted when it cannot be linked; 1 when
        the index has it."""
        if parts.status_no and parts.status_no not in students:
            report.skipped += 1
            report.notes.append(
                _("%(key)s: no student with status number %(status_no)s; not indexed")
                % {"key": obj.key, "status_no": parts.status_no}
            )
            return 0
        if parts.school_code and parts.school_code not in schools:
            report.skipped += 1
            report.notes.append(
                _("%(key)s: no school with code %(code)s; not indexed")
                % {"key": obj.key, "code": parts.school_code}
            )
            return 0
        if parts.scholar_year not in years:
            report.notes.append(
                _("%(key)s: scholar year %(year)s is unknown here (indexed all the same)")
                % {"key": obj.key, "year": parts.scholar_year}
            )
        if obj.key in indexed:
            report.unchanged += 1
            return 1
        report.created += 1
        if job.verifying:
            job.differ(self.label, obj.key, _("in the bucket, not in the index"))
        return 0

    def run(self, job: Job) -> ModelReport:
        from scholarships.models import ScholarYear, School, Student

        report = ModelReport(
            key=self.key,
            label=self.label,
            odoo_model=self.spec.odoo_model,
            read_from="the documents storage",
        )
        job.report.models.append(report)
        years = {row[0] for row in job.attrs(ScholarYear, ("code",)).values()}
        schools = {row[0] for row in job.attrs(School, ("code",)).values()}
        objects = (o for o in document_storage().iter_objects("") if _is_document_object(o.key))
        # The students a dry run would create (none otherwise).
        planned = {row.get("status_no") for row in job.planned(Student)}
        in_index = 0
        # A chunk of objects at a time, their students and index rows looked up for the
        # chunk: the bucket and the students may be large, neither is held whole.
        for chunk in iter(lambda: list(islice(objects, 2000)), []):
            parsed = []
            for obj in chunk:
                report.read += 1
                try:
                    parsed.append((obj, keys.parse_key(obj.key)))
                except keys.InvalidKey as exc:
                    report.skipped += 1
                    report.notes.append(
                        _("%(key)s: not a document key (%(reason)s); not indexed")
                        % {"key": obj.key, "reason": exc}
                    )
            students = (
                set(
                    Student.objects.filter(
                        status_no__any_of={p.status_no for _obj, p in parsed if p.status_no}
                    ).values_list("status_no", flat=True)
                )
                | planned
            )
            indexed = set(
                DocumentIndex.objects.filter(
                    s3_key__any_of=[obj.key for obj, _parts in parsed]
                ).values_list("s3_key", flat=True)
            )
            for obj, parts in parsed:
                in_index += self._object(obj, parts, students, schools, years, indexed, job, report)
        if job.verifying:
            report.here = in_index
        if job.writes:
            result = documents_reindex()
            report.created, report.updated = result.created, result.updated
            report.unchanged = result.unchanged
        return report


def register_importers() -> None:
    from avataq.odoo import register

    register(DocumentIndexImporter())
