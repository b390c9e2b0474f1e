"""School invoice PDFs leave the student folder they were filed in (an invoice lists
several students: one of them could download it): each moves to
``schools/{school}/{year}/…``, its index row becomes the school's, and the student field
goes. The objects are copied, then the old ones removed, through the documents storage."""

from pathlib import PurePosixPath

from django.db import migrations
from django.utils.text import slugify

from documents import keys
from documents.storage import document_storage


def move_invoice_documents(apps, schema_editor):
    Document = apps.get_model("billing", "SchoolInvoiceDocument")
    DocumentIndex = apps.get_model("documents", "DocumentIndex")
    DocumentVersion = apps.get_model("documents", "DocumentVersion")
    storage = document_storage()
    documents = Document.objects.select_related("invoice__school", "invoice__scholar_year")
    for document in documents.order_by("pk"):
        old_key = document.file.name
        invoice = document.invoice
        parts = keys.school_document_key(
            school_code=slugify(invoice.school.code),
            scholar_year=invoice.scholar_year.code,
            document_type="school-invoice",
            qualifier=invoice.invoice_number,
            filename=PurePosixPath(old_key).name,
        )
        new_key = next(
            candidate
            for candidate in (keys.numbered(parts, n) for n in range(1, 100))
            if not DocumentIndex.objects.filter(s3_key=candidate).exists()
            and storage.stat(candidate) is None
        )
        if storage.stat(old_key) is not None:
            with storage.open(old_key, "rb") as content:
                storage.save_exact(new_key, content)
        Document.objects.filter(pk=document.pk).update(file=new_key)
        DocumentIndex.objects.filter(s3_key=old_key).update(
            s3_key=new_key,
            subject="school",
            student=None,
            student_reference="",
            school=invoice.school,
        )
        if storage.stat(old_key) is not None:
            storage.delete(old_key)
        # Prior contents kept on replacement follow their document out of the folder.
        for version in DocumentVersion.objects.filter(document__s3_key=new_key).exclude(
            archive_key=""
        ):
            moved = keys.archive_key(new_key, version.archive_key.rsplit(".", 2)[-2])
            if storage.stat(version.archive_key) is not None:
                with storage.open(version.archive_key, "rb") as content:
                    storage.save_exact(moved, content)
                storage.delete(version.archive_key)
            DocumentVersion.objects.filter(pk=version.pk).update(archive_key=moved)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_line_explanation_template"),
        ("documents", "0004_school_documents"),
    ]

    operations = [
        migrations.RunPython(move_invoice_documents, migrations.RunPython.noop),
        migrations.RemoveField(model_name="schoolinvoicedocument", name="student"),
    ]
