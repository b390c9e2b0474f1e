"""The cut-over from Odoo: the documents are already in the bucket (the old Django side
stored them there, under ``{status_no}/{scholar_year}/…``); once the students are
imported, the existing reindex service (``documents_reindex``) indexes every object and
links it to its student by status number. The report lists the objects whose student or
scholar year is unknown here, for a person to look at; they are not indexed."""

from __future__ import annotations

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

    def run(self, job: Job) -> ModelReport:
        from scholarships.models import ScholarYear, School, Student

        report = ModelReport(
            key=self.key, label=self.label, odoo_model=self.spec.odoo_model,
            read_from="the documents storage",
        )  # fmt: skip
        job.report.models.append(report)
        students = {row[0] for row in job.attrs(Student, ("status_no",)).values()}
        years = {row[0] for row in job.attrs(ScholarYear, ("code",)).values()}
        schools = {row[0] for row in job.attrs(School, ("code",)).values()}
        indexed = set(DocumentIndex.objects.values_list("s3_key", flat=True))
        for obj in document_storage().iter_objects(""):
            if not _is_document_object(obj.key):
                continue
            report.read += 1
            try:
                parts = keys.parse_key(obj.key)
            except keys.InvalidKey as exc:
                report.notes.append(f"{obj.key}: not a document key ({exc}); not indexed")
                continue
            if parts.status_no and parts.status_no not in students:
                report.notes.append(f"{obj.key}: no student with status number {parts.status_no}")
            elif parts.school_code and parts.school_code not in schools:
                report.notes.append(f"{obj.key}: no school with code {parts.school_code}")
            elif parts.scholar_year not in years:
                report.notes.append(f"{obj.key}: scholar year {parts.scholar_year} is unknown here")
            elif obj.key in indexed:
                report.unchanged += 1
            else:
                report.created += 1
                if job.verifying:
                    job.differ(self.label, obj.key, "in the bucket, not in the index")
        report.skipped = len(report.notes)
        if job.writes:
            result = documents_reindex()
            report.created, report.updated = result.created, result.updated
        return report


def register_importers() -> None:
    from avataq.odoo import register

    register(DocumentIndexImporter())
