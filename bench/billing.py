"""Billing: computing and validating the sheets of 5,000 enrollments (the bulk path, and
one at a time for a sample), and rendering one and 100 computing-sheet PDFs.

    make bench ARGS=billing
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from avataq.dev import postgres
from bench.common import django_in_production_mode, fresh_database, manage, timed

ENROLLMENTS = 5_000


def main() -> None:
    url, server = fresh_database("avataq_bench_billing")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", "4000")
        django_in_production_mode(url)
        from billing import services
        from billing.bulk import sheets_compute_bulk
        from billing.models import ComputingSheet, ScheduledPayment
        from billing.pdf import sheet_pdf
        from enrollment.models import ChecklistItem, Enrollment, RequiredDocument

        RequiredDocument.objects.all().delete()  # measure the computation, not the paperwork
        ChecklistItem.objects.all().delete()
        ScheduledPayment.objects.all().delete()
        ComputingSheet.objects.all().delete()
        enrollments = Enrollment.objects.filter(
            status__in=["approved", "active", "completed"]
        ).order_by("pk")
        chosen = list(enrollments.values_list("pk", flat=True)[:ENROLLMENTS])
        today = dt.date(2025, 8, 1)

        started = time.perf_counter()
        report = sheets_compute_bulk(
            enrollments=Enrollment.objects.filter(pk__in=chosen), validate=True, today=today
        )
        bulk_seconds = time.perf_counter() - started
        payments = ScheduledPayment.objects.count()
        print(
            f"bulk compute + validate {report.validated:,} enrollments: {bulk_seconds:.1f} s "
            f"({payments:,} payments; {bulk_seconds / report.validated * 1000:.2f} ms each)"
        )

        sample = list(Enrollment.objects.filter(pk__in=chosen[:200]))
        ScheduledPayment.objects.filter(enrollment__in=sample).delete()
        ComputingSheet.objects.filter(enrollment__in=sample).delete()
        started = time.perf_counter()
        for enrollment in sample:
            sheet = services.compute_sheet(enrollment=enrollment)
            services.sheet_validate(sheet=sheet, by=None, today=today)
        one_by_one = (time.perf_counter() - started) / len(sample)
        print(
            f"one at a time (compute_sheet + sheet_validate), 200 enrollments: "
            f"{one_by_one * 1000:.1f} ms each, so {one_by_one * ENROLLMENTS:.0f} s for "
            f"{ENROLLMENTS:,}"
        )

        sheets = list(ComputingSheet.objects.filter(status="validated")[:100])
        sheet_pdf(sheets[0])  # fonts and layout caches warm
        single = timed(lambda: sheet_pdf(sheets[1]), repeat=10)
        started = time.perf_counter()
        size = sum(len(sheet_pdf(sheet)) for sheet in sheets)
        hundred = time.perf_counter() - started
        print(
            f"one PDF: median {statistics.median(single) * 1000:.0f} ms; "
            f"100 PDFs: {hundred:.1f} s ({size / 100 / 1024:.0f} KB each)"
        )
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
