"""The users of `bench/load.py`, for Locust: not run on its own.

Weighted like a busy day: 7 students on the portal for 2 counsellors in the explorer and
the admin and 1 person of Finance on a statement (14/4/2 of 20 users). Each signs in once
(the form, with its CSRF token), then reads pages with 1–3 s of thinking between them.
Every answer is checked: the status expected and a mark of the page that role should see
(in English or, for a student who reads French, in French); anything else is a failure.

``bench/load.py`` passes, in the environment: ``LOAD_BENCH_DATA`` (the logins and what
there is to look at), ``LOAD_BENCH_MARKS`` (a folder), ``LOAD_BENCH_WARMUP`` and
``LOAD_BENCH_SECONDS``. Once every user has signed in and ``LOAD_BENCH_WARMUP`` seconds
have passed, the statistics are reset and ``start.json`` is written; ``LOAD_BENCH_SECONDS``
later the users stop, ``end.json`` is written and Locust quits. Each mark holds this
process's CPU time, so the benchmark can say what the load generator itself cost.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import resource
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.stats import StatsEntry

DATA = json.loads(Path(os.environ["LOAD_BENCH_DATA"]).read_text())
MARKS = Path(os.environ["LOAD_BENCH_MARKS"])
WARMUP = float(os.environ["LOAD_BENCH_WARMUP"])
SECONDS = float(os.environ["LOAD_BENCH_SECONDS"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DOWNLOAD = re.compile(r'href="(/my/documents/\d+/download/)"')

_students = itertools.count()
_counsellors = itertools.count()
signed_in = 0


class Browser(FastHttpUser):
    """A browser behind the TLS proxy: each request carries the proxy's
    ``X-Forwarded-Proto: https``, and the cookies Django marks ``Secure`` are sent back
    (this loopback connection stands for the HTTPS one the proxy terminates)."""

    abstract = True
    wait_time = between(1, 3)
    default_headers = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}
    role = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.client.cookiejar.set_policy(
            DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        )

    def check(self, path: str, name: str, marks: tuple[str, ...], status: int = 200) -> str:
        """GET ``path``; a failure unless it answers ``status`` with one of ``marks``."""
        with self.client.get(
            path, name=f"{self.role}: {name}", catch_response=True, allow_redirects=False
        ) as response:
            text = response.text or ""
            if response.status_code != status:
                response.failure(f"{response.status_code}, not {status}")
            elif marks and not any(mark in text for mark in marks):
                response.failure(f"none of {marks} in the page")
            else:
                response.success()
        return text

    def sign_in(self, path: str, fields: dict[str, str], landing: str) -> None:
        global signed_in
        try:
            page = self.check(path, "sign-in form", ("csrfmiddlewaretoken",))
            token = CSRF.search(page)
            origin = self.host.replace("http://", "https://", 1)
            with self.client.post(
                path,
                name=f"{self.role}: sign in",
                data=urlencode({**fields, "csrfmiddlewaretoken": token.group(1) if token else ""}),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": origin + path,
                },
                catch_response=True,
                allow_redirects=False,
            ) as response:
                location = response.headers.get("Location", "")
                if response.status_code == 302 and location.endswith(landing):
                    response.success()
                else:
                    response.failure(f"sign-in answered {response.status_code}")
        finally:
            signed_in += 1  # failed or not: the warm-up waits for every user's attempt


class Student(Browser):
    """A student on the portal: their file, enrollments, documents (and one of them
    downloaded: the portal's 302 to a 60-second S3 link, not followed — S3 is not this
    machine's work in production), sheets and payments."""

    weight = 14
    role = "student"

    def on_start(self) -> None:
        me = DATA["students"][next(_students) % len(DATA["students"])]
        self.greeting = (f"Hello, {me['first_name']}", f"Bonjour, {me['first_name']}")
        self.downloads: list[str] = []
        self.sign_in(
            "/account/login/", {"username": me["email"], "password": DATA["password"]}, "/my/"
        )

    @task(4)
    def dashboard(self) -> None:
        self.check("/my/", "/my/", self.greeting)

    @task(2)
    def enrollments(self) -> None:
        self.check("/my/enrollments/", "/my/enrollments/", ("My enrollments", "Mes inscriptions"))

    @task(3)
    def documents(self) -> None:
        page = self.check("/my/documents/", "/my/documents/", ("My documents", "Mes documents"))
        self.downloads = DOWNLOAD.findall(page) or self.downloads

    @task(1)
    def download(self) -> None:
        if not self.downloads:
            return self.documents()
        path = random.choice(self.downloads)
        with self.client.get(
            path,
            name="student: document download (302)",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and "X-Amz-Signature=" in location:
                response.success()
            else:
                response.failure(f"{response.status_code}, not a 302 to a presigned URL")

    @task(1)
    def sheets(self) -> None:
        self.check("/my/sheets/", "/my/sheets/", ("My computing sheets", "Mes feuilles de calcul"))

    @task(2)
    def payments(self) -> None:
        self.check("/my/payments/", "/my/payments/", ("My payments", "Mes paiements"))


class Counsellor(Browser):
    """A counsellor: the documents explorer (first page, a year and a type, a name, a
    status number, the next pages) and the admin's students and enrollments (lists, a
    search, a filter, a student's page) — only their own students'."""

    weight = 4
    role = "counsellor"

    def on_start(self) -> None:
        self.me = DATA["counsellors"][next(_counsellors) % len(DATA["counsellors"])]
        self.sign_in(
            "/admin/login/?next=/admin/",
            {"username": self.me["username"], "password": DATA["password"], "next": "/admin/"},
            "/admin/",
        )

    @task(3)
    def explorer(self) -> None:
        self.check("/documents/", "explorer", ("<h1>Documents</h1>",))

    @task(2)
    def explorer_filtered(self) -> None:
        query = urlencode(
            {
                "scholar_year": random.choice(DATA["years"]),
                "category": random.choice(DATA["categories"]),
            }
        )
        self.check(f"/documents/?{query}", "explorer, year and type", ("<h1>Documents</h1>",))

    @task(2)
    def explorer_search(self) -> None:
        query = urlencode({"q": random.choice(self.me["last_names"])})
        self.check(f"/documents/?{query}", "explorer, a name", ("<h1>Documents</h1>",))

    @task(1)
    def explorer_student(self) -> None:
        query = urlencode({"student": random.choice(self.me["status_nos"])})
        self.check(f"/documents/?{query}", "explorer, a status number", ("<h1>Documents</h1>",))

    @task(1)
    def explorer_next_page(self) -> None:
        page = random.randint(2, 5)
        self.check(f"/documents/?page={page}", "explorer, pages 2-5", ("<h1>Documents</h1>",))

    @task(2)
    def students(self) -> None:
        self.check("/admin/scholarships/student/", "admin students", ('id="changelist"',))

    @task(1)
    def student_search(self) -> None:
        query = urlencode({"q": random.choice(self.me["last_names"])})
        self.check(
            f"/admin/scholarships/student/?{query}", "admin students, a name", ('id="changelist"',)
        )

    @task(2)
    def student(self) -> None:
        pk = random.choice(self.me["students"])
        self.check(
            f"/admin/scholarships/student/{pk}/change/",
            "admin student page",
            ('id="student_form"',),
        )

    @task(2)
    def enrollments(self) -> None:
        status = random.choice(["", "submitted", "approved", "active"])
        query = f"?status__exact={status}" if status else ""
        self.check(
            f"/admin/enrollment/enrollment/{query}", "admin enrollments", ('id="changelist"',)
        )


class Finance(Browser):
    """Finance on the reconcile page of the month's statement: its first page, the lines
    with a suggestion, those with nothing suggested, the next pages, a payment search;
    now and then the finance home page. Reads only: nothing is matched."""

    weight = 2
    role = "finance"

    def on_start(self) -> None:
        self.sign_in(
            "/admin/login/?next=/finance/",
            {"username": DATA["finance"][0], "password": DATA["password"], "next": "/finance/"},
            "/finance/",
        )

    def statement(self, query: str, name: str) -> None:
        pk = random.choice(DATA["statements"])
        self.check(f"/finance/statements/{pk}/{query}", name, ('id="line-',))

    @task(1)
    def home(self) -> None:
        self.check("/finance/", "finance home", ("Bank statements",))

    @task(4)
    def first_page(self) -> None:
        self.statement("", "statement")

    @task(2)
    def suggested(self) -> None:
        self.statement("?show=suggested", "statement, with a suggestion")

    @task(1)
    def unmatched(self) -> None:
        self.statement("?show=unmatched", "statement, nothing suggested")

    @task(1)
    def next_page(self) -> None:
        self.statement(f"?page={random.randint(2, 4)}", "statement, pages 2-4")

    @task(2)
    def search(self) -> None:
        reference = random.choice(DATA["references"])
        self.statement(f"?{urlencode({'q': reference})}", "statement, a payment search")


# --- the measured window ---------------------------------------------------------------
def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _summary(environment: Environment, prefix: str, containing: str = "") -> dict:
    """Count, failures and percentiles (ms) of the entries named ``prefix…`` together."""
    merged = StatsEntry(environment.stats, prefix, "", use_response_times_cache=False)
    for entry in environment.stats.entries.values():
        if entry.name.startswith(prefix) and containing in entry.name:
            merged.extend(entry)
    return {
        "count": merged.num_requests,
        "failures": merged.num_failures,
        **{
            name: merged.get_response_time_percentile(p) if merged.num_requests else 0
            for name, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
    }


def _mark(name: str, **figures: object) -> None:
    temporary = MARKS / f"{name}.tmp"
    temporary.write_text(json.dumps({"time": time.time(), "cpu": _cpu(), **figures}))
    temporary.rename(MARKS / f"{name}.json")  # whole, or not there


def _measure(environment: Environment) -> None:
    runner = environment.runner
    while runner.user_count < environment.parsed_options.num_users or signed_in < runner.user_count:
        gevent.sleep(0.1)
    gevent.sleep(WARMUP)
    logins = _summary(environment, "", containing="sign in")
    environment.stats.reset_all()
    _mark("start", logins=logins, users=runner.user_count)
    gevent.sleep(SECONDS)
    runner.stop()  # no request after the window
    _mark("end", portal=_summary(environment, "student: "))
    gevent.sleep(2)  # Locust writes its CSV files every second
    runner.quit()


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_kwargs: object) -> None:
    gevent.spawn(_measure, environment)
