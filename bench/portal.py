"""The student dashboard under load, and the weight of each /my/ page (part of `make bench`).

gunicorn with 2 sync workers serves the production configuration (DEBUG off, static files
by WhiteNoise) on loopback; 20 client threads, each signed in as its own student, ask for
``/my/`` as fast as answers come for ``DURATION`` seconds. Prints requests per second,
median and p95 latency, then the size of each ``/my/`` page's HTML (and of the stylesheet
every page loads once) for a student with a long history.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import BASE_DIR, collect_static, fresh_database, manage

CLIENTS = 20
DURATION = 20.0  # seconds of measured load, after a short warm-up
STUDENTS = 2_000
PAGES = [
    "/my/",
    "/my/enrollments/",
    "/my/enrollments/apply/",
    "/my/documents/",
    "/my/sheets/",
    "/my/payments/",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, static_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "AWS_STORAGE_BUCKET_NAME": "bench-unused",
        "AWS_S3_REGION_NAME": "ca-central-1",
        "EMAIL_URL": "consolemail://",
        "PORTAL_BASE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
    }


def sign_in_students(count: int) -> tuple[list[str], str]:
    """Session cookies of ``count`` students with portal accounts (made like a login
    would), and the one whose history is longest."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from django.utils import timezone

    from avataq.tests.factories import UserFactory
    from portal.models import Account
    from scholarships.models import Student

    students = list(Student.objects.annotate(n=Count("enrollments")).order_by("-n", "pk")[:count])
    # The measured student's checklists: every enrollment document type is required.
    from documents.models import DocumentType
    from enrollment.checklist import checklist_sync
    from enrollment.models import RequiredDocument

    for document_type in DocumentType.objects.filter(applies_to="enrollment"):
        RequiredDocument.objects.get_or_create(document_type=document_type)
    for enrollment in students[0].enrollments.exclude(status="draft"):
        checklist_sync(enrollment=enrollment)
    cookies = []
    for student in students:
        user = UserFactory(username=f"bench-{student.status_no}@example.org")
        Account.objects.get_or_create(
            user=user, defaults={"email": user.username, "confirmed_at": timezone.now()}
        )
        Student.objects.filter(pk=student.pk).update(user=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies, f"{students[0].status_no} ({students[0].n} enrollments)"


def get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(port: int, cookies: list[str]) -> tuple[list[float], int, float]:
    """(latencies of the measured window, errors, its length in seconds)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    warm_until = time.perf_counter() + 2.0
    stop_at = warm_until + DURATION

    def client(cookie: str) -> None:
        nonlocal errors
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            status, _ = get(port, "/my/", cookie)
            elapsed = time.perf_counter() - started
            if started >= warm_until:
                with lock:
                    latencies.append(elapsed)
                    errors += status != 200

    threads = [threading.Thread(target=client, args=(c,)) for c in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, DURATION


def wait_until_up(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped before answering")
        try:
            get(port, "/", "")
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 20 s")


def main() -> None:
    url, server = fresh_database("avataq_bench_portal")
    static_root = tempfile.mkdtemp(prefix="avataq-bench-static-")
    env = production_env(url, static_root)
    gunicorn = None
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", str(STUDENTS))
        collect_static(env)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "avataq.settings"
        import django

        django.setup()
        cookies, longest = sign_in_students(CLIENTS)

        port = free_port()
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "avataq.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
        )
        wait_until_up(port, gunicorn)
        for path in PAGES:  # every page answers before anything is measured
            status, _ = get(port, path, cookies[0])
            if status != 200:
                raise SystemExit(f"{path} answered {status}")

        latencies, errors, seconds = load(port, cookies)
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"dashboard /my/, {CLIENTS} clients, gunicorn 2 sync workers, {seconds:.0f} s: "
            f"{len(latencies) / seconds:.1f} requests/s, median "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"{errors} errors, {len(latencies)} requests"
        )

        print(f"page weights (HTML, uncompressed) for student {longest}:")
        for path in PAGES:
            _, body = get(port, path, cookies[0])
            print(f"  {path:<26} {len(body) / 1024:6.1f} KB")
        _, page = get(port, "/my/", cookies[0])
        css = page.split(b'rel="stylesheet" href="')[1].split(b'"')[0].decode()
        _, stylesheet = get(port, css, "")
        print(f"  stylesheet (cached after the first page) {len(stylesheet) / 1024:.1f} KB")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if server is not None:
            from avataq.dev import postgres

            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
