"""The cut-over from Odoo: the objects already in the bucket under
``{status_no}/{scholar_year}/{slug}.{ext}`` are indexed by the reindex and linked to the
imported students by status number; the report lists those whose student or scholar
year is unknown here."""

import pytest

from avataq.odoo.tests.exports import import_odoo
from documents.models import DocumentIndex
from documents.tests.factories import PDF
from scholarships.models import School, Student

pytestmark = pytest.mark.django_db

ELISAPIE_TRANSCRIPT = "10234/2024-2025/transcript-fall.pdf"
UNKNOWN_STUDENT = "99999/2024-2025/identity.pdf"
UNKNOWN_YEAR = "20456/2019-2020/identity.pdf"
SCHOOL_INVOICE = "schools/cmv/2024-2025/invoice-f-2024-117.pdf"


@pytest.fixture
def bucket(s3):
    for key in (ELISAPIE_TRANSCRIPT, UNKNOWN_STUDENT, UNKNOWN_YEAR, SCHOOL_INVOICE):
        s3.client.put_object(Bucket=s3.name, Key=key, Body=PDF)
    return s3


def documents_line(output: str) -> list[str]:
    """The documents row of the first table: read, created, updated, unchanged…"""
    line = next(line for line in output.splitlines() if "documents.DocumentIndex" in line)
    return line.split()[-6:]


def test_a_student_object_is_indexed_and_linked_to_the_imported_student(bucket, exports):
    import_odoo(str(exports))
    document = DocumentIndex.objects.get(s3_key=ELISAPIE_TRANSCRIPT)
    assert document.student == Student.objects.get(status_no="10234")
    assert (document.scholar_year, document.category) == ("2024-2025", "transcript")
    assert document.size == len(PDF)


def test_a_school_object_is_indexed_and_linked_to_the_imported_school(bucket, exports):
    import_odoo(str(exports))
    assert DocumentIndex.objects.get(s3_key=SCHOOL_INVOICE).school == School.objects.get(code="cmv")


def test_an_object_whose_student_is_unknown_is_listed_and_not_indexed(bucket, exports):
    _code, output = import_odoo(str(exports))
    assert f"{UNKNOWN_STUDENT}: no student with status number 99999" in output
    assert not DocumentIndex.objects.filter(s3_key=UNKNOWN_STUDENT).exists()


def test_an_object_whose_scholar_year_is_unknown_is_listed_and_indexed_with_its_student(
    bucket, exports
):
    _code, output = import_odoo(str(exports))
    assert f"{UNKNOWN_YEAR}: scholar year 2019-2020 is unknown here" in output
    assert DocumentIndex.objects.get(s3_key=UNKNOWN_YEAR).student.status_no == "20456"


def test_the_report_counts_the_objects_read_indexed_and_left_out(bucket, exports):
    _code, output = import_odoo(str(exports))
    # read, created, updated, unchanged, skipped (the unknown student), refused
    assert documents_line(output) == ["4", "3", "0", "0", "1", "0"]


def test_a_dry_run_counts_the_objects_it_would_index_and_indexes_none(bucket, exports):
    _code, output = import_odoo(str(exports), "--dry-run")
    assert documents_line(output) == ["4", "3", "0", "0", "1", "0"]
    assert f"{UNKNOWN_STUDENT}: no student with status number 99999" in output
    assert not DocumentIndex.objects.exists()


def test_importing_again_leaves_the_indexed_objects_unchanged(bucket, exports):
    import_odoo(str(exports))
    before = sorted(DocumentIndex.objects.values_list("pk", "s3_key", "indexed_at"))
    _code, output = import_odoo(str(exports))
    assert documents_line(output) == ["4", "0", "0", "3", "1", "0"]
    assert sorted(DocumentIndex.objects.values_list("pk", "s3_key", "indexed_at")) == before


def test_verify_names_an_object_put_in_the_bucket_after_the_import(bucket, exports):
    import_odoo(str(exports))
    bucket.client.put_object(Bucket=bucket.name, Key="10234/2024-2025/identity.pdf", Body=PDF)
    _code, output = import_odoo(str(exports), "--verify")
    assert (
        "documents.DocumentIndex: 10234/2024-2025/identity.pdf: in the bucket, not in the index"
        in output
    )


def test_objects_that_are_not_documents_are_not_read(bucket, exports):
    bucket.client.put_object(Bucket=bucket.name, Key="backups/2025-01-01.dump", Body=b"x")
    bucket.client.put_object(
        Bucket=bucket.name, Key="10234/2024-2025/_archive/transcript-fall.pdf", Body=PDF
    )
    _code, output = import_odoo(str(exports), "--dry-run")
    assert documents_line(output)[0] == "4"
