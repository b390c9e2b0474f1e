"""A realistic mix of users under load, with Locust (part of `make bench`).

    make bench ARGS=load

3,000 demo students (the first 2,000 with their documents, copied to the S3 test server),
200 of them with a portal account, the demo's three counsellors, a Finance login and the
demo's month of bank statement. gunicorn serves the production configuration (``DEBUG``
off, the project's ``gunicorn_conf``: gthread workers, 8 threads each, the JSON access
log) on loopback, with the real broker (Redis) and the S3 test server; first with
``WEB_CONCURRENCY=2``, then 4. Against each, Locust (``bench/locustfile.py``: students on
the portal, counsellors in the explorer and the admin, finance on a statement, 1–3 s of
thinking between pages) runs headless in a process of its own for each of ``RUNS``: that
many users sign in, a warm-up, then the seconds measured (60 s at 20 users, the target's
load; 30 s at 40).

Printed for each run: per kind of page, the requests, failures, p50/p95/p99 and
requests per second (Locust's ``_stats.csv``); the portal pages' p95 against the target;
where the time went — CPU seconds, over the measured window, of gunicorn (master, workers
and recycled workers), of the PostgreSQL backends serving the benchmark's database, of
Locust itself, of the S3 test server and Redis, and of any other work on the machine —
and from ``/metrics`` (scraped before and after, every worker's figures added up) Django's
own time per request, the database's share of it, and the time inside each view.

The TLS proxy production runs behind is not here: each request carries the
``X-Forwarded-Proto: https`` it would add (gunicorn and Django trust it), so HTTPS
redirects, secure cookies and CSRF's origin check work as in production; the client sends
its cookies as a browser would over that HTTPS hop.
"""

from __future__ import annotations

import base64
import csv
import http.client
import json
import math
import mimetypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from avataq.dev import postgres, s3server
from bench.common import BASE_DIR, collect_static, drop_database, fresh_database, manage
from bench.portal import free_port

DATABASE = "avataq_bench_load"
STUDENTS = 3_000
PORTAL_ACCOUNTS = 200
WORKERS = (2, 4)
RUNS = ((20, 60.0), (40, 30.0))  # users, seconds measured
SPAWN_RATE = 10  # users started per second
WARMUP = 10.0  # seconds of browsing after the last user has signed in, not measured
PORTAL_P95_TARGET_MS = 250
BROKER = "redis://127.0.0.1:6379/14"
BUCKET = "avataq-bench-load"
CPU_ROWS = ["gunicorn", "PostgreSQL", "Locust", "S3 test server", "Redis"]


@dataclass
class Run:
    workers: int
    users: int
    rows: list[dict] = field(default_factory=list)
    aggregated: dict = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    marks: dict = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    server: dict[str, float] = field(default_factory=dict)


# --- data -------------------------------------------------------------------------------
def prepare(password: str) -> dict:
    """Logins with ``password`` for 200 students (those first by status number whose
    checklist holds a document), the demo counsellors and Finance; what the users look
    at, for the locustfile."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from avataq.services import demo_logins_ensure
    from billing.models import BankStatement, ScheduledPayment
    from documents.models import DocumentIndex
    from portal.models import Account, NoticeAcceptance
    from scholarships.models import ScholarYear, Student

    demo_logins_ensure(password=password)  # admin, staff, counsellor.annie, finance, ops
    User = get_user_model()
    # One hash for all the students' accounts, made in bulk: 1,000,000 PBKDF2 rounds take
    # 0.8 s here, and 200 accounts made one by one would take three minutes.
    hashed = make_password(password)
    User.objects.filter(username__startswith="counsellor.").update(password=hashed)
    students = list(
        Student.objects.filter(user__isnull=True, enrollments__checklist__document__isnull=False)
        .distinct()
        .order_by("status_no")[:PORTAL_ACCOUNTS]
    )
    users = User.objects.bulk_create(
        [User(username=s.email, email=s.email, password=hashed) for s in students]
    )
    now = timezone.now()
    accounts = Account.objects.bulk_create(
        [Account(user=u, email=u.email, confirmed_at=now) for u in users]
    )
    NoticeAcceptance.objects.bulk_create(
        [NoticeAcceptance(account=a, version=settings.PRIVACY_NOTICE_VERSION) for a in accounts]
    )
    for student, user in zip(students, users, strict=True):
        Student.objects.filter(pk=student.pk).update(user=user)

    counsellors = []
    for user in User.objects.filter(username__startswith="counsellor.").order_by("username"):
        theirs = Student.objects.filter(counsellor=user).order_by("status_no")
        counsellors.append(
            {
                "username": user.username,
                "students": list(theirs.values_list("pk", flat=True)[:300]),
                "status_nos": list(theirs.values_list("status_no", flat=True)[:300]),
                "last_names": sorted(set(theirs.values_list("last_name", flat=True))),
            }
        )
    statements = list(BankStatement.objects.order_by("pk").values_list("pk", flat=True))
    references = list(
        ScheduledPayment.objects.filter(amount__gt=0, status="scheduled")
        .order_by("pk")
        .values_list("reference", flat=True)[:300]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after seeding
    return {
        "password": password,
        "students": [{"email": s.email, "first_name": s.first_name} for s in students],
        "counsellors": counsellors,
        "finance": ["finance"],
        "statements": statements,
        "references": references,
        "years": list(ScholarYear.objects.order_by("code").values_list("code", flat=True)),
        "categories": sorted(set(DocumentIndex.objects.values_list("category", flat=True))),
    }


def production_env(database_url: str, s3: s3server.S3Server, static_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "avataq.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BANK_DETAILS_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": BROKER,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "ca-central-1",
        "AWS_S3_ENDPOINT_URL": s3.endpoint,
        "AWS_ACCESS_KEY_ID": s3server.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": s3server.SECRET_KEY,
        # Nothing listens there: a mail sent inside a request would fail at once (mails
        # go through the broker's queue; no worker runs here).
        "EMAIL_URL": "smtp://127.0.0.1:9/",
        "PORTAL_BASE_URL": "https://127.0.0.1",
        "STATIC_ROOT": static_root,
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "LOG_LEVEL": "WARNING",
    }


def upload_documents(folder: Path, s3: s3server.S3Server) -> int:
    """Copy every file under ``folder`` to the bucket, its path there as its key."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name="ca-central-1",
        aws_access_key_id=s3server.ACCESS_KEY,
        aws_secret_access_key=s3server.SECRET_KEY,
    )
    client.create_bucket(Bucket=BUCKET)
    files = [path for path in folder.rglob("*") if path.is_file()]

    def put(path: Path) -> None:
        key = path.relative_to(folder).as_posix()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes(), ContentType=kind)

    with ThreadPoolExecutor(8) as pool:  # a boto3 client may be shared by threads
        list(pool.map(put, files))
    return len(files)


# --- processes --------------------------------------------------------------------------
def start_gunicorn(env: dict[str, str], workers: int, port: int, log: Path) -> subprocess.Popen:
    env = {
        **env,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"prometheus-{workers}"),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "python:avataq.gunicorn_conf",
                "avataq.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start; its log:\n{tail(log)}")
        try:
            if get(port, "/health/")[0] == 200 and len(process_tree(process.pid)) > workers:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within 60 s; its log:\n{tail(log)}")


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET on loopback, as through the TLS proxy."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stop(process: subprocess.Popen | None) -> None:
    """Stop ``process`` and its process group: TERM, then KILL after 30 s."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


# --- where the time goes ----------------------------------------------------------------
def cpu_seconds(root: psutil.Process) -> float:
    """CPU time of ``root``, of the children it has reaped (``cutime``: gunicorn's recycled
    workers) and of its live descendants."""
    total = 0.0
    try:
        own = root.cpu_times()
        total = own.user + own.system + own.children_user + own.children_system
        for child in root.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return total


def postmaster() -> psutil.Process | None:
    """The PostgreSQL server's first process (the parent of every backend)."""
    for process in psutil.process_iter(["name", "ppid"]):
        try:
            if process.info["name"] == "postgres" and process.parent().name() != "postgres":
                return process
        except (psutil.NoSuchProcess, AttributeError):
            continue
    return None


class BackendSampler(threading.Thread):
    """CPU seconds of the PostgreSQL backends serving ``database`` (their process title
    names it) over a window, read every half second: a backend that ends inside the window
    (gunicorn's connections live 60 s) loses at most its last half second. The server's
    other databases — other work on this machine — are not counted."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.title = f" {database} "
        self.server = postmaster()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.done = threading.Event()

    def sample(self, *, baseline: bool = False) -> None:
        for backend in self.server.children() if self.server else []:
            try:
                if self.title not in " ".join(backend.cmdline()) + " ":
                    continue
                times = backend.cpu_times()
            except psutil.Error:
                continue
            self.last[backend.pid] = times.user + times.system
            if baseline:
                self.first[backend.pid] = self.last[backend.pid]

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()

    def begin(self) -> None:
        self.sample(baseline=True)
        self.start()

    def seconds(self) -> float | None:
        """Stop sampling; the CPU seconds of the window (None: no local server)."""
        self.done.set()
        self.join()
        self.sample()
        if self.server is None:
            return None
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


def cpu_snapshot(roots: dict[str, list[psutil.Process]]) -> dict[str, float]:
    snapshot = {name: sum(cpu_seconds(p) for p in processes) for name, processes in roots.items()}
    times = psutil.cpu_times()
    snapshot["machine (busy)"] = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    return snapshot


def scrape(port: int, token: str) -> dict[str, float]:
    """The django-prometheus figures the reading needs, from ``/metrics`` (every worker's,
    added up through ``PROMETHEUS_MULTIPROC_DIR``)."""
    from prometheus_client.parser import text_string_to_metric_families

    status, body = get(port, "/metrics", {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise SystemExit(f"/metrics answered {status}")
    text = body.decode()
    figures: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels = sample.name, sample.labels
            if labels.get("view") == "metrics":
                continue  # the scrapes themselves
            if name in (
                "django_http_requests_latency_including_middlewares_seconds_sum",
                "django_http_requests_latency_including_middlewares_seconds_count",
                "django_db_query_duration_seconds_sum",
                "django_db_query_duration_seconds_count",
            ):
                figures[name] = figures.get(name, 0.0) + sample.value
            elif name == "django_http_requests_latency_seconds_by_view_method_sum":
                key = f"view:{labels.get('view')}"
                figures[key] = figures.get(key, 0.0) + sample.value
            elif name == "django_http_requests_latency_seconds_by_view_method_count":
                key = f"views:{labels.get('view')}"
                figures[key] = figures.get(key, 0.0) + sample.value
            elif name == "avataq_celery_queue_length":
                figures["celery queue"] = sample.value
    return figures


# --- one run ----------------------------------------------------------------------------
def wait_for(path: Path, process: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise SystemExit(f"locust stopped early (exit {process.returncode})")
        time.sleep(0.02)
    raise SystemExit(f"locust wrote no {path.name} within {timeout:.0f} s")


def run_locust(
    *,
    workers: int,
    users: int,
    seconds: float,
    port: int,
    token: str,
    gunicorn: subprocess.Popen,
    s3: s3server.S3Server,
    work: Path,
) -> Run:
    run = Run(workers=workers, users=users)
    folder = work / f"run-{workers}w-{users}u"
    folder.mkdir()
    env = {
        **os.environ,
        "LOAD_BENCH_DATA": str(work / "data.json"),
        "LOAD_BENCH_MARKS": str(folder),
        "LOAD_BENCH_WARMUP": str(WARMUP),
        "LOAD_BENCH_SECONDS": str(seconds),
    }
    limit = int(users / SPAWN_RATE + WARMUP + seconds + 120)  # a bound, never reached
    command = [
        *(sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / "locustfile.py")),
        *("--headless", "--only-summary", "--skip-log-setup"),
        *("-u", str(users), "-r", str(SPAWN_RATE), "-t", f"{limit}s"),
        *("--host", f"http://127.0.0.1:{port}", "--csv", str(folder / "run")),
        *("--exit-code-on-error", "0"),
    ]
    log = folder / "locust.log"
    roots = {
        "gunicorn": [psutil.Process(gunicorn.pid)],
        "S3 test server": [psutil.Process(s3.process.pid)],
        "Redis": [p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"],
    }
    database = BackendSampler(DATABASE)
    with log.open("wb") as out:
        locust = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        start = wait_for(folder / "start.json", locust, timeout=limit)
        before, started = cpu_snapshot(roots), time.time()
        database.begin()
        metrics_before = scrape(port, token)
        end = wait_for(folder / "end.json", locust, timeout=seconds + 60)
        after, ended = cpu_snapshot(roots), time.time()
        postgres_seconds = database.seconds()
        metrics_after = scrape(port, token)
        locust.wait(timeout=60)
    except BaseException:
        print(tail(log), file=sys.stderr)
        raise
    finally:
        stop(locust)
    run.marks = {"start": start, "end": end}
    run.seconds = ended - started
    run.cpu = {name: after[name] - before[name] for name in before}
    run.cpu["Locust"] = end["cpu"] - start["cpu"]
    if postgres_seconds is not None:  # None: the database server is on another machine
        run.cpu["PostgreSQL"] = postgres_seconds
    run.server = {
        name: metrics_after.get(name, 0.0) - metrics_before.get(name, 0.0)
        for name in metrics_after
        if name != "celery queue"
    }
    run.server["celery queue"] = metrics_after.get("celery queue", 0.0)
    with (folder / "run_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            (run.rows.append if row["Name"] != "Aggregated" else run.aggregated.update)(row)
    with (folder / "run_failures.csv").open() as failures:
        run.failures = list(csv.DictReader(failures))
    return run


# --- printing ---------------------------------------------------------------------------
def report(run: Run) -> None:
    print(
        f"\n== {run.workers} gunicorn workers, {run.users} users, {run.seconds:.0f} s measured "
        f"(think time 1-3 s)"
    )
    print(
        f"  {'page':<38} {'requests':>8} {'fail':>5} {'p50':>5} {'p95':>5} {'p99':>5} {'req/s':>6}"
    )
    rows = sorted((r for r in run.rows if r["Request Count"] != "0"), key=lambda r: r["Name"])
    for row in [*rows, run.aggregated]:
        print(
            f"  {row['Name']:<38} {row['Request Count']:>8} {row['Failure Count']:>5} "
            f"{row['50%']:>5} {row['95%']:>5} {row['99%']:>5} {float(row['Requests/s']):>6.1f}"
        )
    portal = run.marks["end"]["portal"]
    verdict = "met" if portal["p95"] <= PORTAL_P95_TARGET_MS else "MISSED"
    worst = max(
        (r for r in run.rows if r["Name"].startswith("student:") and r["95%"].isdigit()),
        key=lambda r: int(r["95%"]),
    )
    print(
        f"  portal pages together: {portal['count']} requests, p50 {portal['p50']} ms, "
        f"p95 {portal['p95']} ms, p99 {portal['p99']} ms (target p95 <= {PORTAL_P95_TARGET_MS} "
        f"ms: {verdict}); worst page p95: {worst['Name']} {worst['95%']} ms"
    )
    logins = run.marks["start"]["logins"]
    if logins["count"]:
        print(
            f"  sign-ins (warm-up, not measured): {logins['count']}, p50 {logins['p50']} ms, "
            f"p95 {logins['p95']} ms, {logins['failures']} failed"
        )
    for failure in run.failures[:5]:
        print(f"  failure x{failure['Occurrences']}: {failure['Name']}: {failure['Error'][:120]}")

    requests = int(run.aggregated["Request Count"]) or 1
    cores = psutil.cpu_count()
    print(
        f"  where the CPU went ({run.seconds:.0f} s window, {cores} cores = "
        f"{cores * run.seconds:.0f} CPU s):"
    )
    named = sum(v for k, v in run.cpu.items() if k != "machine (busy)")
    cpu = {**run.cpu, "other work": run.cpu["machine (busy)"] - named}
    for name in [*CPU_ROWS, "other work", "machine (busy)"]:
        if name not in cpu:
            print(f"    {name:<22} not on this machine")
            continue
        seconds = cpu[name]
        print(
            f"    {name:<22} {seconds:7.1f} CPU s  {seconds / run.seconds * 100:5.0f} % of a core"
            f"  {seconds / requests * 1000:6.1f} ms per request"
        )
    server = run.server
    handled = server.get("django_http_requests_latency_including_middlewares_seconds_count", 0)
    wall = server.get("django_http_requests_latency_including_middlewares_seconds_sum", 0)
    database = server.get("django_db_query_duration_seconds_sum", 0)
    queries = server.get("django_db_query_duration_seconds_count", 0)
    if handled:
        print(
            f"  /metrics: {handled:.0f} requests, {wall / handled * 1000:.1f} ms each inside "
            f"Django (client saw {float(run.aggregated['Average Response Time']):.1f} ms), "
            f"{queries / handled:.1f} queries and {database / handled * 1000:.1f} ms in the "
            f"database each ({database / wall * 100:.0f} % of Django's time); "
            f"{server['celery queue']:.0f} tasks queued"
        )
        views = sorted(
            (
                (server[key] / server[f"views:{key[5:]}"], key[5:], server[f"views:{key[5:]}"])
                for key in server
                if key.startswith("view:") and server.get(f"views:{key[5:]}")
            ),
            reverse=True,
        )
        shown = [f"{view} {mean * 1000:.0f} ms ({n:.0f})" for mean, view, n in views[:8]]
        print("  time inside the view, slowest views first (mean): " + ", ".join(shown))


def compare(runs: list[Run]) -> None:
    print("\n== summary (CPU: % of one core over the window, and ms per request)")
    columns = ["workers", "users", "req/s", "p50", "p95", "p99", "portal p95", "errors"]
    columns += ["gunicorn", "PostgreSQL", "Locust", "other work", "gunicorn", "PostgreSQL"]
    print("  " + " ".join(f"{c:>10}" for c in columns))
    for run in runs:
        a = run.aggregated
        requests = int(a["Request Count"]) or 1
        named = sum(v for k, v in run.cpu.items() if k != "machine (busy)")
        cpu = {**run.cpu, "other work": run.cpu["machine (busy)"] - named}
        values = [run.workers, run.users, f"{float(a['Requests/s']):.1f}", a["50%"], a["95%"]]
        values += [a["99%"], run.marks["end"]["portal"]["p95"], a["Failure Count"]]
        values += [
            f"{cpu.get(k, math.nan) / run.seconds * 100:.0f} %"
            for k in ("gunicorn", "PostgreSQL", "Locust", "other work")
        ]
        values += [
            f"{cpu.get(k, math.nan) / requests * 1000:.1f} ms" for k in ("gunicorn", "PostgreSQL")
        ]
        print("  " + " ".join(f"{v:>10}" for v in values))
    for users, _ in RUNS:
        pair = {run.workers: run for run in runs if run.users == users}
        if set(WORKERS) <= set(pair):
            low, high = pair[WORKERS[0]], pair[WORKERS[1]]

            def ratio(figure: str, low=low, high=high) -> str:
                a, b = float(low.aggregated[figure]), float(high.aggregated[figure])
                return f"{b / a:.2f}" if a else "-"

            def per_request(run: Run) -> float:
                return run.cpu["gunicorn"] / (int(run.aggregated["Request Count"]) or 1)

            print(
                f"  {users} users, {WORKERS[1]} workers / {WORKERS[0]}: requests/s "
                f"{ratio('Requests/s')}, p50 {ratio('50%')}, p95 {ratio('95%')}, "
                f"p99 {ratio('99%')}, gunicorn CPU per request "
                f"{per_request(high) / per_request(low):.2f}"
            )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="avataq-bench-load-"))
    url, server = fresh_database(DATABASE)
    s3: s3server.S3Server | str = "not started"
    gunicorn = None
    redis_keys: set[bytes] | None = None  # what the broker's database held before
    try:
        s3 = s3server.start()
        if isinstance(s3, str):
            raise SystemExit(f"the load benchmark needs the S3 test server: {s3}")
        env = production_env(url, s3, str(work / "static"))
        import redis

        broker = redis.Redis.from_url(BROKER)
        redis_keys = set(broker.keys("*"))
        started = time.monotonic()
        manage(url, "migrate", "--noinput")
        # The demo's documents are written to a local folder, then copied to the bucket
        # at the same keys, eight at a time: one by one, the seeding spent 100 s on them.
        os.environ["AVATAQ_DATA_DIR"] = str(work / "data")
        manage(url, "seed_demo", "--students", str(STUDENTS))
        documents = upload_documents(work / "data" / "media", s3)
        collect_static(env)
        os.environ.update(env)
        import django

        django.setup()
        data = prepare(secrets.token_urlsafe(16))
        (work / "data.json").write_text(json.dumps(data))
        from django.db import connections

        connections.close_all()
        print(
            f"set up in {time.monotonic() - started:.0f} s: {STUDENTS:,} demo students, "
            f"{len(data['students'])} portal accounts, {len(data['counsellors'])} counsellors, "
            f"{len(data['statements'])} bank statement(s), {documents:,} documents in S3",
            flush=True,
        )

        runs = []
        for workers in WORKERS:
            port = free_port()
            gunicorn = start_gunicorn(env, workers, port, work / f"gunicorn-{workers}.log")
            for users, seconds in RUNS:
                run = run_locust(
                    workers=workers,
                    users=users,
                    seconds=seconds,
                    port=port,
                    token=env["METRICS_TOKEN"],
                    gunicorn=gunicorn,
                    s3=s3,
                    work=work,
                )
                report(run)
                runs.append(run)
            stop(gunicorn)
            gunicorn = None
        compare(runs)
    finally:
        stop(gunicorn)
        if not isinstance(s3, str):
            s3.stop()
        try:
            if redis_keys is not None:
                import redis

                broker = redis.Redis.from_url(BROKER)
                added = set(broker.keys("*")) - redis_keys
                if added:
                    broker.delete(*added)  # what the run queued: no worker will take it
        except Exception as exc:
            print(f"could not clean up the broker: {exc}", file=sys.stderr)
        drop_database(url, server)
        if server is not None:
            postgres.stop_embedded(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
