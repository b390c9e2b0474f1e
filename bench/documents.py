"""Documents: the explorer on 200,000 index rows; the download view next to a bare
`generate_presigned_url`; the peak memory of uploading a 200 MB file.

    make bench ARGS=documents
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from avataq.dev import postgres, s3server
from bench.common import BASE_DIR, fresh_database, manage, median_ms, timed

INDEX_ROWS = 200_000
UPLOAD_MB = 200


def _setup_django(url: str, s3: s3server.S3Server, bucket: str) -> None:
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="avataq.settings",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_S3_ENDPOINT_URL=s3.endpoint,
        AWS_ACCESS_KEY_ID=s3server.ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=s3server.SECRET_KEY,
    )
    import django

    django.setup()


def _load_index(rows: int) -> None:
    from avataq.bulk import copy_insert
    from documents.models import DocumentIndex
    from scholarships.models import School, Student

    students = list(Student.objects.values_list("pk", "status_no"))
    schools = list(School.objects.values_list("pk", flat=True))
    categories = ["proof-of-enrollment", "transcript", "schedule", "identity"]
    years = ["2024-2025", "2025-2026", "2026-2027"]

    def generate():
        for i in range(rows):
            pk, status_no = students[i % len(students)]
            year = years[i % 3]
            category = categories[i % 4]
            yield {
                "student_id": pk,
                "student_reference": status_no,
                "scholar_year": year,
                "category": category,
                "school_id": schools[i % len(schools)],
                "s3_key": f"{status_no}/{year}/{category}-{i}.pdf",
                "filename": f"{category}-{i}.pdf",
                "content_type": "application/pdf",
                "size": 100_000 + i,
                "sha256": "",
                "source_model": "bench",
                "created_at": "2026-01-01T00:00:00Z",
                "indexed_at": "2026-01-01T00:00:00Z",
            }

    copy_insert(DocumentIndex, generate())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a load this size


def _explorer(client_for) -> None:
    from avataq.tests.factories import StaffUserFactory
    from scholarships.models import Student

    staff = StaffUserFactory(username="bench-staff", group="Staff")
    counsellor = Student.objects.exclude(counsellor=None).first().counsellor
    for who, user in [
        ("global permission", staff),
        ("counsellor (object permissions)", counsellor),
    ]:
        client = client_for(user)
        for label, query in [
            ("first page", ""),
            ("filtered by year and category", "?scholar_year=2025-2026&category=transcript"),
            ("search by name", "?q=annanack"),
            ("page 500", "?page=500"),
        ]:
            url = f"/documents/{query}"
            if client.get(url).status_code != 200:
                raise SystemExit(f"{url} did not answer 200 for {who}")
            samples = timed(lambda u=url, c=client: c.get(u), repeat=15)
            print(f"explorer, {who}, {label}: median {median_ms(samples)}")


def _download(client_for, s3: s3server.S3Server) -> None:
    from django.core.files.storage import storages

    from avataq.tests.factories import StaffUserFactory
    from documents.models import DocumentIndex

    storage = storages["documents"]
    storage.client.create_bucket(Bucket=storage.bucket_name)
    client = client_for(StaffUserFactory(username="bench-download", group="Staff"))
    document = DocumentIndex.objects.order_by("pk").first()
    url = f"/documents/{document.pk}/download/"
    if client.get(url).status_code != 302:
        raise SystemExit("the download view did not answer 302")
    view = timed(lambda: client.get(url), repeat=200)

    def bare():
        storage.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": storage.bucket_name, "Key": document.s3_key},
            ExpiresIn=60,
        )

    presign = timed(bare, repeat=200)
    ratio = statistics.median(view) / statistics.median(presign)
    print(
        f"download view (permission, access row, presigned URL): median {median_ms(view)}; "
        f"bare generate_presigned_url: median {median_ms(presign)}; ratio {ratio:.1f}x"
    )


UPLOAD_CHILD = r"""
import os, resource, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.storage import storages
from django.core.handlers.wsgi import WSGIHandler
from documents.models import DocumentType
from scholarships.models import ScholarYear, Student

body_path, boundary = sys.argv[1], sys.argv[2]
storages["documents"].client.head_bucket(Bucket=storages["documents"].bucket_name)
user = get_user_model().objects.get(username="bench-upload")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
handler = WSGIHandler()
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
token = "b" * 32
with open(body_path, "rb") as body:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/admin/scholarships/studentdocument/add/",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": body, "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(os.path.getsize(body_path)),
        "HTTP_COOKIE": f"sessionid={session.session_key}; csrftoken={token}",
        "HTTP_X_CSRFTOKEN": token, "HTTP_REFERER": "http://127.0.0.1/",
    }
    started = time.perf_counter()
    status = []
    response = handler(environ, lambda s, h, *a: status.append(s))
    elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(status[0], baseline, peak, f"{elapsed:.2f}")
"""


def _multipart_body(path: Path, size_mb: int, fields: dict[str, str]) -> str:
    boundary = "avataqbenchboundary"
    with path.open("wb") as out:
        for name, value in fields.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
            'filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        )
        out.write(b"%PDF-1.7\n")
        chunk = os.urandom(1024 * 1024)
        for _ in range(size_mb):
            out.write(chunk)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return boundary


def _upload_once(size_mb: int, fields: dict[str, str]) -> tuple[str, float, float, str]:
    """(status, peak RSS MB, RSS grown during the request MB, seconds) in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body"
        boundary = _multipart_body(body, size_mb, fields)
        env = {**os.environ, "DOCUMENT_MAX_UPLOAD_SIZE": str((size_mb + 10) * 1024 * 1024)}
        result = subprocess.run(
            [sys.executable, "-c", UPLOAD_CHILD, str(body), boundary],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    status, baseline_kb, peak_kb, elapsed = result.stdout.split()[-4:]
    return status, int(peak_kb) / 1024, (int(peak_kb) - int(baseline_kb)) / 1024, elapsed


def _upload_memory() -> None:
    from avataq.tests.factories import StaffUserFactory
    from documents.models import DocumentType
    from scholarships.models import ScholarYear, Student

    StaffUserFactory(username="bench-upload", is_superuser=True)
    fields = {
        "student": str(Student.objects.order_by("pk").first().pk),
        "scholar_year": str(ScholarYear.objects.get(is_current=True).pk),
        "document_type": str(DocumentType.objects.get(code="identity").pk),
    }
    for size_mb in (50, UPLOAD_MB):
        status, peak, grown, elapsed = _upload_once(size_mb, fields)
        print(
            f"upload of a {size_mb} MB file through the admin (multipart parse to disk, sniff, "
            f"SHA-256, S3 multipart upload): HTTP {status} in {elapsed} s; peak RSS {peak:.0f} MB, "
            f"{grown:.0f} MB of it grown during the request ({grown / size_mb:.2f} x file size)"
        )


def main() -> None:
    s3 = s3server.start()
    if isinstance(s3, str):
        raise SystemExit(s3)
    url, server = fresh_database("avataq_bench_documents")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", "5000")
        _setup_django(url, s3, "bench-documents")
        started = time.perf_counter()
        _load_index(INDEX_ROWS)
        print(f"loaded {INDEX_ROWS:,} index rows in {time.perf_counter() - started:.1f} s")
        from django.test import Client

        def client_for(user):
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            return client

        _explorer(client_for)
        _download(client_for, s3)
        _upload_memory()
    finally:
        s3.stop()
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
