"""Against the real S3-compatible test server (s3rver checks signatures and expiry)."""

import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.files.storage import storages

from avataq.tests.factories import StaffUserFactory
from documents import services
from documents.models import DocumentIndex, DocumentType
from documents.tests.factories import HTML, PDF, upload
from scholarships.models import Student, StudentDocument
from scholarships.tests.factories import ScholarYearFactory, StudentFactory

pytestmark = pytest.mark.django_db


def new_document() -> StudentDocument:
    student = Student.objects.filter(status_no="12345").first() or StudentFactory(status_no="12345")
    return StudentDocument(
        student=student,
        scholar_year=ScholarYearFactory(first=2025),
        document_type=DocumentType.objects.get(code="identity"),
    )


def store(capture, file=None) -> StudentDocument:
    with capture(execute=True):
        return services.document_store(document=new_document(), upload=file or upload(), by=None)


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def download_url(document: StudentDocument) -> str:
    index = DocumentIndex.objects.get(s3_key=document.key)
    return services.document_download_url(
        document=index, user=StaffUserFactory(), ip_address="127.0.0.1"
    )


def test_a_stored_document_is_an_object_in_the_bucket(s3, django_capture_on_commit_callbacks):
    document = store(django_capture_on_commit_callbacks)

    assert s3.keys() == ["12345/2025-2026/identity.pdf"]
    assert s3.read(document.key) == PDF


def test_the_presigned_url_downloads_the_file_with_its_name_and_type(
    s3, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks, upload("Carte d'identité.pdf"))

    url = download_url(document)
    status, headers, body = fetch(url)

    assert status == 200
    assert body == PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment; filename*=utf-8''Carte")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Expires"] == ["60"]


def test_the_same_url_is_refused_once_it_has_expired(
    s3, settings, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks)
    settings.DOCUMENT_URL_TTL = 1
    url = download_url(document)
    assert fetch(url)[0] == 200

    time.sleep(2.2)
    status, _, body = fetch(url)

    assert status == 403
    assert b"Request has expired" in body


def test_a_tampered_url_is_refused(s3, django_capture_on_commit_callbacks):
    document = store(django_capture_on_commit_callbacks)
    other = store(django_capture_on_commit_callbacks)
    url = download_url(document)

    pointed_elsewhere = url.replace("identity.pdf", other.key.rsplit("/", 1)[1])
    signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    forged = url.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))

    assert fetch(pointed_elsewhere)[0] == 403
    assert fetch(forged)[0] == 403


def test_a_filename_cannot_inject_headers(s3, django_capture_on_commit_callbacks):
    document = store(django_capture_on_commit_callbacks)
    DocumentIndex.objects.filter(s3_key=document.key).update(
        filename='evil"\r\nX-Injected: yes\r\n.pdf'
    )

    status, headers, _ = fetch(download_url(document))

    assert status == 200
    assert "X-Injected" not in headers
    assert "\n" not in headers["Content-Disposition"]


def test_a_second_document_for_the_same_key_gets_dash_2_in_the_bucket(
    s3, django_capture_on_commit_callbacks
):
    store(django_capture_on_commit_callbacks)
    store(django_capture_on_commit_callbacks)

    assert s3.keys() == ["12345/2025-2026/identity-2.pdf", "12345/2025-2026/identity.pdf"]


def test_replacing_in_a_bucket_without_versioning_keeps_an_archive_copy(
    s3, django_capture_on_commit_callbacks
):
    document = store(django_capture_on_commit_callbacks)
    new_content = PDF + b"% v2\n"

    with django_capture_on_commit_callbacks(execute=True):
        services.document_replace(document=document, upload=upload("v2.pdf", new_content), by=None)

    archived = s3.keys("12345/2025-2026/_archive/")
    assert len(archived) == 1
    assert s3.read(archived[0]) == PDF
    assert s3.read(document.key) == new_content


def test_a_refused_upload_leaves_nothing_in_the_bucket(s3):
    with pytest.raises(services.DocumentRejected):
        services.document_store(document=new_document(), upload=upload("x.pdf", HTML), by=None)

    assert s3.keys() == []


def test_a_large_upload_goes_up_in_parts_and_arrives_whole(
    s3, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_MAX_UPLOAD_SIZE = 64 * 1024 * 1024
    content = PDF + bytes(range(256)) * (12 * 4096)  # ~12 MB: above the multipart threshold
    parts = []
    storages["documents"].client.meta.events.register(
        "before-call.s3.UploadPart", lambda **kwargs: parts.append(kwargs["model"].name)
    )

    document = store(django_capture_on_commit_callbacks, upload("big.pdf", content))

    assert len(parts) >= 2
    assert s3.read(document.key) == content


def test_the_storage_reuses_one_client_and_asks_checksums_only_when_required(s3):
    storage = storages["documents"]

    assert storage.client is storage.client
    assert storage.client.meta.config.request_checksum_calculation == "when_required"
    assert storage.client.meta.config.signature_version == "s3v4"


def test_clients_of_every_thread_come_from_the_storages_one_boto3_session(s3, monkeypatch):
    # A fresh session loads S3's service model again: each gunicorn thread's first
    # download cost 0.3-0.6 s of CPU when every thread made its own.
    from storages.backends.s3 import S3Storage

    made = []
    session = S3Storage._create_session
    monkeypatch.setattr(S3Storage, "_create_session", lambda self: made.append(1) or session(self))
    storage = storages["documents"]
    clients = []

    def download_in_a_new_thread() -> None:
        assert storage.stat("12345/2025-2026/nothing.pdf") is None
        storage.download_url(
            "12345/2025-2026/nothing.pdf", filename="a.pdf", content_type="", ttl=60
        )
        clients.extend([storage.client, storage.quick_client])

    threads = [threading.Thread(target=download_in_a_new_thread) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1
    assert len({id(client) for client in clients}) == 6  # each thread still has its own


def test_reindex_and_verify_read_the_bucket(s3):
    StudentFactory(status_no="12345")
    s3.client.put_object(Bucket=s3.name, Key="12345/2025-2026/transcript-fall.pdf", Body=PDF)

    report = services.documents_reindex(prefix="12345/")

    assert report.created == 1
    assert DocumentIndex.objects.get().size == len(PDF)
    assert services.documents_verify().ok
    s3.client.delete_object(Bucket=s3.name, Key="12345/2025-2026/transcript-fall.pdf")
    assert services.documents_verify().missing_objects == ["12345/2025-2026/transcript-fall.pdf"]
