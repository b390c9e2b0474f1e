"""When S3 fails mid-operation: against a real s3rver behind a fault proxy that can drop
an answer (the server did the work, the client never hears), hang, or find the server
stopped. Each test says what the user sees, what is left in the database and in the
bucket, and that ``documents_verify`` finds the two in agreement afterwards."""

import datetime as dt
import hashlib
import io
import logging
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.urls import reverse

from avataq.tests.factories import StaffUserFactory
from documents import services
from documents.models import DocumentAccess, DocumentIndex, DocumentType, DocumentVersion
from documents.storage import S3DocumentStorage, StorageUnavailable
from documents.tests.factories import PDF, upload
from enrollment import checklist
from enrollment.models import ChecklistItem, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.services.student import checklist_document_upload
from portal.tests.factories import portal_student
from scholarships.models import Student, StudentDocument
from scholarships.tests.factories import ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db

KEY = "12345/2025-2026/identity.pdf"
SAME_SIZE = PDF.replace(b"Catalog", b"Catalgo")  # other content, same length
NOT_ANSWERING = "the document storage is not answering right now"


def content_puts(request: bytes) -> bool:
    """A PUT that carries content (a server-side copy is a PUT too, with a source)."""
    return request.startswith(b"PUT ") and b"x-amz-copy-source" not in request.lower()


def copies(request: bytes) -> bool:
    return request.startswith(b"PUT ") and b"x-amz-copy-source" in request.lower()


def assert_verify_is_clean() -> None:
    report = services.documents_verify(rehash=None, pending_grace=dt.timedelta(0))
    assert report.ok, report


def new_document() -> StudentDocument:
    student = Student.objects.filter(status_no="12345").first() or StudentFactory(status_no="12345")
    return StudentDocument(
        student=student,
        scholar_year=ScholarYearFactory(first=2025),
        document_type=DocumentType.objects.get(code="identity"),
    )


def store(capture, content: bytes = PDF) -> StudentDocument:
    with capture(execute=True):
        return services.document_store(
            document=new_document(), upload=upload("id.pdf", content), by=None
        )


# --- the portal's upload form ------------------------------------------------------------------
@pytest.fixture
def student():
    return portal_student(first_name="Annie", status_no="12345")


@pytest.fixture
def student_client(client, student):
    client.force_login(student.user)
    return client


@pytest.fixture
def item(student) -> ChecklistItem:
    RequiredDocument.objects.create(document_type=DocumentType.objects.get(code="schedule"))
    enrollment = EnrollmentFactory(student=student, status="submitted")
    checklist.checklist_sync(enrollment=enrollment)
    return ChecklistItem.objects.get(enrollment=enrollment, document_type__code="schedule")


def send(client, item: ChecklistItem):
    return client.post(
        reverse("portal:document_upload", args=[item.pk]), {"file": upload("horaire.pdf")}
    )


def messages_of(response) -> list[str]:
    """What the student reads after the upload: inside the item's block on the documents
    page, else at the top of the page."""
    from portal.tests.factories import upload_outcome

    told = [str(message) for message in response.wsgi_request._messages]
    if "portal.upload_outcome" in response.wsgi_request.session:
        told.append(upload_outcome(response))
    return told


def assert_nothing_kept(item: ChecklistItem, faulty_s3) -> None:
    item.refresh_from_db()
    assert item.status == ChecklistItem.Status.MISSING
    assert not EnrollmentDocument.objects.exists()
    assert not DocumentIndex.objects.exists()
    assert faulty_s3.keys() == []


def test_a_portal_upload_whose_put_answer_is_lost_keeps_nothing_and_says_so(
    faulty_s3, student_client, item
):
    faulty_s3.fail("drop_response", drop_after=content_puts)

    response = send(student_client, item)

    assert response.status_code == 302
    assert any(NOT_ANSWERING in message for message in messages_of(response))
    assert faulty_s3.proxy.dropped >= 1  # the server stored it; nobody heard
    assert_nothing_kept(item, faulty_s3)
    assert_verify_is_clean()


def test_a_portal_upload_while_s3_is_stopped_is_refused_in_the_students_language(
    faulty_s3, student_client, item
):
    faulty_s3.stop()
    student_client.cookies["django_language"] = "fr"

    response = send(student_client, item)

    assert response.status_code == 302
    assert any("le stockage des documents ne répond pas" in m for m in messages_of(response))
    faulty_s3.start()
    assert_nothing_kept(item, faulty_s3)
    assert_verify_is_clean()


def test_a_portal_upload_while_s3_hangs_is_refused_within_seconds(faulty_s3, student_client, item):
    faulty_s3.fail("hang")

    started = time.monotonic()
    response = send(student_client, item)

    assert time.monotonic() - started < 5  # the fixture's deadlines: 1 s, 0.5 s for HEAD
    assert any(NOT_ANSWERING in message for message in messages_of(response))
    faulty_s3.heal()
    assert_nothing_kept(item, faulty_s3)
    assert_verify_is_clean()


def test_the_next_upload_after_s3_returns_works_without_a_restart(
    faulty_s3, student_client, item, django_capture_on_commit_callbacks
):
    faulty_s3.stop()
    send(student_client, item)
    faulty_s3.start()

    with django_capture_on_commit_callbacks(execute=True):
        response = send(student_client, item)

    item.refresh_from_db()
    assert any("received" in message for message in messages_of(response))
    assert item.status == ChecklistItem.Status.RECEIVED
    assert faulty_s3.keys() == [item.document.key]
    assert faulty_s3.read(item.document.key) == PDF
    assert_verify_is_clean()


def test_a_database_failure_after_the_object_is_written_removes_it(faulty_s3, student, item):
    with connection.cursor() as cursor:  # the checklist step, after the upload, fails
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the database fails'; END $$; "
            "CREATE TRIGGER refuse BEFORE UPDATE ON enrollment_checklistitem "
            "FOR EACH ROW EXECUTE FUNCTION refuse();"
        )

    with pytest.raises(DatabaseError, match="the database fails"):
        checklist_document_upload(item=item, upload=upload("horaire.pdf"), by=student.user)

    assert_nothing_kept(item, faulty_s3)
    assert_verify_is_clean()


def test_an_index_failure_leaves_no_object_and_no_row(
    faulty_s3, django_capture_on_commit_callbacks
):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the index fails'; END $$; "
            "CREATE TRIGGER refuse BEFORE INSERT ON documents_documentindex "
            "FOR EACH ROW EXECUTE FUNCTION refuse();"
        )

    with pytest.raises(DatabaseError, match="the index fails"):
        store(django_capture_on_commit_callbacks)

    assert not StudentDocument.objects.exists()
    assert faulty_s3.keys() == []


# --- the admin ---------------------------------------------------------------------------------
@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(group="Staff"))
    return client


def admin_add(client):
    return client.post(
        "/admin/scholarships/studentdocument/add/",
        {
            "student": StudentFactory(status_no="12345").pk,
            "scholar_year": ScholarYearFactory(first=2025).pk,
            "document_type": DocumentType.objects.get(code="identity").pk,
            "upload": SimpleUploadedFile("id.pdf", PDF),
        },
    )


def admin_replace(client, document: StudentDocument, content: bytes):
    return client.post(
        f"/admin/scholarships/studentdocument/{document.pk}/change/",
        {"upload": SimpleUploadedFile("id.pdf", content)},
    )


def test_an_admin_upload_whose_put_answer_is_lost_answers_503_and_keeps_nothing(
    faulty_s3, staff_client
):
    faulty_s3.fail("drop_response", drop_after=content_puts)

    response = admin_add(staff_client)

    assert response.status_code == 503
    assert faulty_s3.proxy.dropped >= 1
    assert not StudentDocument.objects.exists()
    assert faulty_s3.keys() == []
    assert_verify_is_clean()


def test_an_admin_upload_while_s3_hangs_answers_503_within_seconds(faulty_s3, staff_client):
    faulty_s3.fail("hang")

    started = time.monotonic()
    response = admin_add(staff_client)

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    faulty_s3.heal()
    assert not StudentDocument.objects.exists()
    assert faulty_s3.keys() == []
    assert_verify_is_clean()


def test_a_replacement_whose_put_answer_is_lost_keeps_the_old_content_under_its_key(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks)
    faulty_s3.fail("drop_response", drop_after=content_puts)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_replace(staff_client, document, SAME_SIZE)

    assert response.status_code == 503
    assert faulty_s3.proxy.dropped >= 1
    assert faulty_s3.keys() == [KEY]
    assert faulty_s3.read(KEY) == PDF
    assert DocumentIndex.objects.get().sha256 == hashlib.sha256(PDF).hexdigest()
    assert not DocumentVersion.objects.exists()
    assert_verify_is_clean()


def test_a_replacement_whose_archive_copy_answer_is_lost_leaves_no_archive(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks)
    faulty_s3.fail("drop_response", drop_after=copies)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_replace(staff_client, document, SAME_SIZE)

    assert response.status_code == 503
    assert faulty_s3.keys() == [KEY]
    assert faulty_s3.read(KEY) == PDF
    assert_verify_is_clean()


def test_a_replacement_reaches_its_key_with_its_prior_version_kept(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_replace(staff_client, document, SAME_SIZE)

    assert response.status_code == 302
    version = DocumentVersion.objects.get()
    assert faulty_s3.read(KEY) == SAME_SIZE
    assert faulty_s3.read(version.archive_key) == PDF
    assert faulty_s3.keys() == sorted([KEY, version.archive_key])
    assert_verify_is_clean()


# --- after the commit ----------------------------------------------------------------------
def test_a_promotion_that_fails_after_the_commit_is_finished_by_settle(
    faulty_s3, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_store(document=new_document(), upload=upload("id.pdf"), by=None)
    faulty_s3.stop()

    with caplog.at_level(logging.ERROR, logger="documents.services"):
        for callback in callbacks:
            callback()  # as Django runs it after the commit: the request is not failed

    assert "`manage.py verify_documents --settle` promotes it" in caplog.text
    faulty_s3.start()
    report = services.documents_verify(pending_grace=dt.timedelta(0))
    assert report.missing_objects == [KEY] and len(report.pending_objects) == 1
    settled = services.documents_settle_pending(older_than=dt.timedelta(0))
    assert settled.promoted == [KEY]
    assert faulty_s3.keys() == [KEY]
    assert faulty_s3.read(KEY) == PDF
    assert_verify_is_clean()


def test_settle_removes_what_a_rolled_back_upload_left_pending(faulty_s3):
    pending = services.pending_key(KEY)
    storages["documents"].put(pending, upload())

    settled = services.documents_settle_pending(older_than=dt.timedelta(0))

    assert settled.removed == [pending]
    assert faulty_s3.keys() == []


# --- multipart --------------------------------------------------------------------------------
def test_a_multipart_upload_that_fails_mid_transfer_is_aborted_again_once_s3_returns(
    faulty_s3, settings, caplog
):
    settings.DOCUMENT_MAX_UPLOAD_SIZE = 32 * 1024 * 1024
    storage = storages["documents"]
    aborted: list[str] = []
    storage.quick_client.meta.events.register(
        "before-parameter-build.s3.AbortMultipartUpload",
        lambda params, **kwargs: aborted.append(params["UploadId"]),
    )

    def stop_at_the_second_part(params, **kwargs) -> None:
        if params["PartNumber"] == 2:
            faulty_s3.stop()

    storage.client.meta.events.register(
        "before-parameter-build.s3.UploadPart", stop_at_the_second_part
    )
    big = upload("big.pdf", PDF + b"\0" * (9 * 1024 * 1024))

    with pytest.raises(StorageUnavailable):
        services.document_store(document=new_document(), upload=big, by=None)
    assert len(aborted) == 1  # tried at once, and S3 was down

    faulty_s3.start()
    with caplog.at_level(logging.ERROR, logger="documents.storage"):
        small = services.document_store(document=new_document(), upload=upload(), by=None)

    assert aborted == [aborted[0], aborted[0]]  # once more, now that S3 answers
    # s3rver implements no abort: the second refusal is logged, naming the upload.
    assert f"multipart upload {aborted[0]} of _pending/" in caplog.text
    assert StudentDocument.objects.get() == small
    left = faulty_s3.keys()  # the small one's, waiting for its commit; nothing of the big one
    assert [services.pending_target(key) for key in left] == [small.key]


# --- downloads --------------------------------------------------------------------------------
def test_a_download_while_s3_is_stopped_answers_503_and_records_no_access(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    faulty_s3.stop()

    response = staff_client.get(f"/documents/{DocumentIndex.objects.get().pk}/download/")

    assert response.status_code == 503
    assert not DocumentAccess.objects.exists()


def test_a_download_while_s3_hangs_answers_503_within_seconds(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    faulty_s3.fail("hang")

    started = time.monotonic()
    response = staff_client.get(f"/documents/{DocumentIndex.objects.get().pk}/download/")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert not DocumentAccess.objects.exists()


def test_a_download_of_an_object_the_storage_lost_is_404_not_a_dead_link(
    faulty_s3, staff_client, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    faulty_s3.client.delete_object(Bucket=faulty_s3.name, Key=KEY)

    response = staff_client.get(f"/documents/{DocumentIndex.objects.get().pk}/download/")

    assert response.status_code == 404
    assert not DocumentAccess.objects.exists()


# --- verify ---------------------------------------------------------------------------------
def test_verify_proves_contents_by_the_storages_checksum_without_downloading(
    faulty_s3, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)

    report = services.documents_verify()

    assert report.ok
    assert (report.proven, report.rehashed, report.unchecked) == (1, 0, 0)


def test_verify_reports_a_content_change_of_the_same_size(
    faulty_s3, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    faulty_s3.client.put_object(Bucket=faulty_s3.name, Key=KEY, Body=SAME_SIZE)

    report = services.documents_verify()

    assert report.size_mismatches == []
    assert report.hash_mismatches == [
        (KEY, hashlib.sha256(PDF).hexdigest(), hashlib.sha256(SAME_SIZE).hexdigest())
    ]
    assert report.rehashed == 1


def test_verify_rehashes_only_a_sample_unless_asked_for_all(
    faulty_s3, django_capture_on_commit_callbacks
):
    for _ in range(3):
        document = store(django_capture_on_commit_callbacks)
        faulty_s3.client.put_object(Bucket=faulty_s3.name, Key=document.key, Body=PDF)

    sampled = services.documents_verify(rehash=1)
    everything = services.documents_verify(rehash=None)

    assert (sampled.rehashed, sampled.unchecked) == (1, 2)
    assert (everything.rehashed, everything.unchecked) == (3, 0)
    assert sampled.ok and everything.ok


def test_verify_reports_archives_no_prior_version_points_to(
    faulty_s3, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    orphan = "12345/2025-2026/_archive/identity.20250101T000000000000.pdf"
    faulty_s3.client.put_object(Bucket=faulty_s3.name, Key=orphan, Body=PDF)

    report = services.documents_verify()

    assert report.orphan_archives == [orphan]
    assert not report.ok


def test_verify_reports_pending_objects_left_behind_but_not_those_under_way(faulty_s3):
    pending = services.pending_key(KEY)
    storages["documents"].put(pending, upload())

    assert services.documents_verify().pending_objects == []  # may be an upload under way
    assert services.documents_verify(pending_grace=dt.timedelta(0)).pending_objects == [pending]


# --- operator commands ------------------------------------------------------------------------
def test_reindex_documents_exits_2_with_one_line_when_s3_is_stopped(faulty_s3):
    faulty_s3.stop()

    with pytest.raises(CommandError) as error:
        call_command("reindex_documents", stdout=io.StringIO(), stderr=io.StringIO())

    assert error.value.returncode == 2
    assert str(error.value).startswith("the storage did not answer: LIST")
    assert "\n" not in str(error.value)


def test_verify_documents_exits_2_with_one_line_on_stderr_when_s3_is_unreachable(faulty_s3):
    faulty_s3.stop()
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgresql://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "AWS_STORAGE_BUCKET_NAME": faulty_s3.name,
        "AWS_S3_ENDPOINT_URL": faulty_s3.endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "S3RVER",
        "AWS_SECRET_ACCESS_KEY": "S3RVER",
    }

    run = subprocess.run(
        [sys.executable, "manage.py", "verify_documents"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().startswith("CommandError: the storage did not answer: LIST")
    assert len(run.stderr.strip().splitlines()) == 1


def test_every_s3_call_has_a_deadline_shorter_than_the_web_workers():
    storage = S3DocumentStorage(
        bucket_name="documents", region_name="ca-central-1", endpoint_url="http://127.0.0.1:9"
    )

    config, quick = storage.client.meta.config, storage.quick_client.meta.config

    assert (config.connect_timeout, config.read_timeout) == (3, 10)
    # Config(retries={"max_attempts": 2}) counts the retries: three tries in all.
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}
    assert (quick.connect_timeout, quick.read_timeout) == (3, 5)
    assert quick.retries == {"total_max_attempts": 2, "mode": "standard"}
