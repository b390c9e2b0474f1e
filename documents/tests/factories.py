import io
import zipfile

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import DocumentIndex
from scholarships.tests.factories import StudentFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
EXE = b"MZ\x90\x00" + b"\x00" * 64


def office(kind: str) -> bytes:
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "zip": "notes.txt"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind != "zip":
            archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def upload(name: str = "proof.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


class DocumentIndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentIndex

    student = factory.SubFactory(StudentFactory)
    student_reference = factory.SelfAttribute("student.status_no")
    scholar_year = "2025-2026"
    category = "transcript"
    s3_key = factory.Sequence(lambda n: f"{{ref}}/{{year}}/transcript-{n}.pdf")
    filename = "transcript.pdf"
    content_type = "application/pdf"
    size = 1234
    source_model = "api"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs["s3_key"] = (
            kwargs["s3_key"]
            .replace("{ref}", kwargs["student_reference"])
            .replace("{year}", kwargs["scholar_year"])
        )
        return super()._create(model_class, *args, **kwargs)
