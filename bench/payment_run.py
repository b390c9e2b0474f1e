"""Payment runs: 5,000 due payments built into a run, approved by a second Finance user,
and its pain.001 produced and validated against the XSD (target ≤ 10 s), three times
(each run cancelled to free its payments for the next); the CPA-005 file timed apart.

    make bench ARGS=payment_run
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from avataq.dev import postgres
from bench.common import django_in_production_mode, fresh_database, manage

PAYMENTS = 5_000
REPEAT = 3
TARGET_SECONDS = 10.0


def _setup() -> tuple[object, object]:
    """5,000 positive payments due, every payee with confirmed details; two Finance users."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from billing.models import BankDetails, PaymentRun, ScheduledPayment
    from billing.payments import crypto
    from scholarships.models import School, Student

    PaymentRun.objects.all().delete()  # the demo's runs (their items go with them)
    positive = ScheduledPayment.objects.filter(amount__gt=0).order_by("pk")
    chosen = list(positive.values_list("pk", flat=True)[:PAYMENTS])
    if len(chosen) < PAYMENTS:
        raise SystemExit(f"the demo has {len(chosen)} payments, fewer than {PAYMENTS}")
    ScheduledPayment.objects.exclude(pk__in=chosen).update(status="cancelled")
    ScheduledPayment.objects.filter(pk__in=chosen).update(
        status="scheduled", due_date=dt.date(2026, 9, 1), sent_at=None
    )
    users = []
    for name in ("bench.prepares", "bench.approves"):
        user, _ = get_user_model().objects.get_or_create(username=name, is_staff=True)
        user.groups.add(Group.objects.get(name="Finance"))
        users.append(user)
    ring, now = crypto.keyring(), timezone.now()
    BankDetails.objects.all().delete()
    rows = [
        BankDetails(
            student_id=pk,
            holder_name=f"Payee {pk}",
            institution="815",
            transit="30800",
            account_ciphertext=crypto.encrypt(f"{pk:09d}", ring),
            account_last3=f"{pk:09d}"[-3:],
            status="confirmed",
            changed_at=now,
            confirmed_by=users[1],
            confirmed_at=now,
        )
        for pk in Student.objects.values_list("pk", flat=True)
    ] + [
        BankDetails(
            school_id=pk,
            holder_name=f"School {pk}",
            institution="006",
            transit="10000",
            account_ciphertext=crypto.encrypt(f"{pk:07d}", ring),
            account_last3=f"{pk:07d}"[-3:],
            status="confirmed",
            changed_at=now,
            confirmed_by=users[1],
            confirmed_at=now,
        )
        for pk in School.objects.values_list("pk", flat=True)
    ]
    BankDetails.objects.bulk_create(rows, batch_size=2000)
    return users[0], users[1]


def main() -> None:
    url, server = fresh_database("avataq_bench_payment_run")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", "1500")
        django_in_production_mode(url)
        from billing.payments import cpa005, pain001, runs

        preparer, approver = _setup()
        pain001.schema()  # the XSD parsed once per process, as in a worker
        totals, steps = [], []
        for _ in range(REPEAT):
            started = time.perf_counter()
            run = runs.payment_run_build(due_until=dt.date(2026, 9, 1), by=preparer)
            built = time.perf_counter()
            run = runs.payment_run_approve(run=run, by=approver)
            approved = time.perf_counter()
            batch = runs.run_batch(run, by=approver, purpose="benchmark")
            data = pain001.build(batch)  # validated against the XSD inside
            done = time.perf_counter()
            if run.payment_count != PAYMENTS:
                raise SystemExit(f"the run took {run.payment_count} payments, not {PAYMENTS}")
            totals.append(done - started)
            steps.append((built - started, approved - built, done - approved))
            cpa_started = time.perf_counter()
            cpa005.build(batch, runs.originator(), file_number=run.pk)
            cpa_seconds = time.perf_counter() - cpa_started
            runs.payment_run_cancel(run=run, by=approver)
        median = statistics.median(totals)
        build, approve, produce = (statistics.median(s) for s in zip(*steps, strict=True))
        print(
            f"{PAYMENTS:,} payments, build + approve + pain.001 produced and validated: "
            f"median {median:.2f} s of {REPEAT} (build {build:.2f} s, approve {approve:.2f} s, "
            f"file {produce:.2f} s; {len(data) / 1024 / 1024:.1f} MB); CPA-005 "
            f"{cpa_seconds:.2f} s; target ≤ {TARGET_SECONDS:.0f} s: "
            f"{'met' if median <= TARGET_SECONDS else 'MISSED'}"
        )
        if median > TARGET_SECONDS:
            raise SystemExit(1)
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
