"""Storing, replacing and indexing documents (local storage; tests against the real S3
test server are in test_s3.py)."""

import hashlib

import pytest
from django.core.files.storage import storages

from documents import services
from documents.models import ApiKey, DocumentIndex, DocumentType, DocumentVersion
from documents.tests.factories import HTML, PDF, PNG, upload
from scholarships.models import Student, StudentDocument
from scholarships.tests.factories import ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db


def new_document(student=None, type_code="identity") -> StudentDocument:
    return StudentDocument(
        student=student
        or Student.objects.filter(status_no="12345").first()
        or StudentFactory(status_no="12345"),
        scholar_year=ScholarYearFactory(first=2025),
        document_type=DocumentType.objects.get(code=type_code),
    )


def stored_keys() -> list[str]:
    return sorted(o.key for o in storages["documents"].iter_objects())


def store(document=None, file=None, *, capture):
    with capture(execute=True):
        return services.document_store(
            document=document or new_document(), upload=file or upload(), by=None
        )


def test_storing_indexes_at_once_and_puts_the_object_at_its_key_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = services.document_store(document=new_document(), upload=upload(), by=None)
        # Before the commit the content waits under a pending key: a rollback now would
        # leave nothing at any document's key.
        assert [key.split("/", 2)[2] for key in stored_keys()] == [document.key]
        assert stored_keys()[0].startswith("_pending/")

    for callback in callbacks:
        callback()
    assert document.key == "12345/2025-2026/identity.pdf"
    assert stored_keys() == ["12345/2025-2026/identity.pdf"]
    index = DocumentIndex.objects.get()
    assert (index.s3_key, index.category, index.student_reference, index.scholar_year) == (
        "12345/2025-2026/identity.pdf",
        "identity",
        "12345",
        "2025-2026",
    )
    assert index.source_model == "scholarships.studentdocument"


def test_storing_records_size_type_and_sha256_of_the_content(django_capture_on_commit_callbacks):
    document = store(capture=django_capture_on_commit_callbacks)

    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (document.size, document.content_type) == (len(PDF), "application/pdf")
    assert document.original_filename == "proof.pdf"


def test_a_key_holding_another_document_makes_the_next_one_dash_2_then_dash_3(
    django_capture_on_commit_callbacks,
):
    student = StudentFactory(status_no="12345")
    keys = [
        store(new_document(student), capture=django_capture_on_commit_callbacks).key
        for _ in range(3)
    ]

    assert keys == [
        "12345/2025-2026/identity.pdf",
        "12345/2025-2026/identity-2.pdf",
        "12345/2025-2026/identity-3.pdf",
    ]
    assert stored_keys() == sorted(keys)


def test_an_object_already_in_storage_without_a_row_is_never_overwritten(
    django_capture_on_commit_callbacks,
):
    storages["documents"].save_exact("12345/2025-2026/identity.pdf", upload(content=b"%PDF-old"))

    document = store(capture=django_capture_on_commit_callbacks)

    assert document.key == "12345/2025-2026/identity-2.pdf"
    with storages["documents"].open("12345/2025-2026/identity.pdf") as kept:
        assert kept.read() == b"%PDF-old"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("page.pdf", HTML, "the file is an HTML page"),
        ("page.html", HTML, "the file is an HTML page"),
        ("photo.pdf", PNG, "the file is a PNG image but its name ends in .pdf"),
        ("empty.pdf", b"", "the file is empty"),
        ("noextension", PDF, "has no usable extension"),
    ],
)
def test_a_refused_upload_leaves_no_object_no_row_and_no_index(name, content, reason):
    with pytest.raises(services.DocumentRejected, match=reason):
        services.document_store(document=new_document(), upload=upload(name, content), by=None)

    assert stored_keys() == []
    assert not StudentDocument.objects.exists()
    assert not DocumentIndex.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_with_its_size(settings):
    settings.DOCUMENT_MAX_UPLOAD_SIZE = 1024 * 1024
    big = upload("big.pdf", PDF + b"0" * (2 * 1024 * 1024))

    with pytest.raises(
        services.DocumentRejected, match=r"the file is 2\.0 MB; the limit is 1\.0 MB"
    ):
        services.document_store(document=new_document(), upload=big, by=None)
    assert stored_keys() == []


def test_replacing_keeps_the_prior_content_in_the_archive_and_the_index_shows_it(
    django_capture_on_commit_callbacks,
):
    document = store(capture=django_capture_on_commit_callbacks)
    new_content = PDF + b"% corrected scan\n"

    with django_capture_on_commit_callbacks(execute=True):
        services.document_replace(
            document=document, upload=upload("corrected.pdf", new_content), by=None
        )

    assert document.key == "12345/2025-2026/identity.pdf"
    with storages["documents"].open(document.key) as current:
        assert current.read() == new_content
    version = DocumentVersion.objects.get()
    assert version.archive_key.startswith("12345/2025-2026/_archive/identity.")
    with storages["documents"].open(version.archive_key) as prior:
        assert prior.read() == PDF
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert DocumentIndex.objects.get().prior_versions.get() == version
    assert DocumentIndex.objects.get().sha256 == hashlib.sha256(new_content).hexdigest()


def test_a_replacement_must_keep_the_kind_of_file(django_capture_on_commit_callbacks):
    document = store(capture=django_capture_on_commit_callbacks)

    with pytest.raises(services.DocumentRejected, match="same kind of name"):
        services.document_replace(document=document, upload=upload("photo.png", PNG), by=None)


def test_download_content_type_is_forced_from_the_allowlist():
    assert services.download_content_type("1/2025-2026/x.pdf") == "application/pdf"
    assert services.download_content_type("1/2025-2026/x.html") == "application/octet-stream"


def test_an_api_key_is_shown_once_and_stored_only_as_a_hash():
    api_key, plain = services.api_key_create(name="scanner")

    assert plain.startswith(f"avq_{api_key.prefix}_")
    assert plain not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())
    assert api_key.key_hash == hashlib.sha256(plain.encode()).hexdigest()


def test_an_api_key_authenticates_until_revoked():
    api_key, plain = services.api_key_create(name="scanner")

    assert services.api_key_authenticate(presented=plain) == api_key
    services.api_key_revoke(api_key=api_key)
    assert services.api_key_authenticate(presented=plain) is None


@pytest.mark.parametrize("presented", [None, "", "avq_", "avq_deadbeef_wrong", "garbage"])
def test_wrong_api_keys_do_not_authenticate(presented):
    services.api_key_create(name="scanner")

    assert services.api_key_authenticate(presented=presented) is None


def test_reindex_builds_rows_for_objects_that_have_none():
    StudentFactory(status_no="12345")
    storage = storages["documents"]
    storage.save_exact("12345/2025-2026/transcript-fall.pdf", upload())
    storage.save_exact("12345/2025-2026/_archive/transcript.1.pdf", upload())
    storage.save_exact("99999/2025-2026/identity.pdf", upload())
    storage.save_exact("stray/file.txt", upload())

    report = services.documents_reindex()

    row = DocumentIndex.objects.get()
    assert (row.s3_key, row.category, row.size) == (
        "12345/2025-2026/transcript-fall.pdf",
        "transcript",
        len(PDF),
    )
    assert report.created == 1
    assert dict(report.skipped) == {
        "99999/2025-2026/identity.pdf": "no student with status_no 99999",
        "stray/file.txt": (
            "'stray/file.txt' is not a document key ({status_no}/{year}/{slug}.{ext} or "
            "schools/{school_code}/{year}/{slug}.{ext})"
        ),
    }


def test_reindex_twice_creates_nothing_more():
    StudentFactory(status_no="12345")
    storages["documents"].save_exact("12345/2025-2026/identity.pdf", upload())
    services.documents_reindex()

    report = services.documents_reindex()

    assert (report.created, report.unchanged) == (0, 1)
    assert DocumentIndex.objects.count() == 1


def test_reindex_limited_to_a_prefix_leaves_other_students_alone():
    StudentFactory(status_no="12345")
    StudentFactory(status_no="67890")
    storages["documents"].save_exact("12345/2025-2026/identity.pdf", upload())
    storages["documents"].save_exact("67890/2025-2026/identity.pdf", upload())

    services.documents_reindex(prefix="12345/")

    assert list(DocumentIndex.objects.values_list("student_reference", flat=True)) == ["12345"]


def test_verify_reports_missing_unindexed_and_mismatched_objects(
    django_capture_on_commit_callbacks,
):
    kept = store(capture=django_capture_on_commit_callbacks)
    lost = store(capture=django_capture_on_commit_callbacks)
    resized = store(capture=django_capture_on_commit_callbacks)
    storage = storages["documents"]
    storage.delete(lost.key)
    DocumentIndex.objects.filter(s3_key=resized.key).update(size=1)
    storage.save_exact("12345/2025-2026/orphan.pdf", upload())

    report = services.documents_verify()

    assert report.missing_objects == [lost.key]
    assert report.unindexed_objects == ["12345/2025-2026/orphan.pdf"]
    assert report.size_mismatches == [(resized.key, 1, len(PDF))]
    assert kept.key not in report.missing_objects


def test_verify_is_clean_when_index_and_storage_agree(django_capture_on_commit_callbacks):
    store(capture=django_capture_on_commit_callbacks)

    assert services.documents_verify().ok
