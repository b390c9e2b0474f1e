"""The finance reconcile page for a 50-line and a 2,000-line statement, and what acting on
a line costs (part of `make bench`).

    make bench ARGS=reconcile_page
"""

from __future__ import annotations

import datetime as dt
import os
import statistics

from avataq.dev import postgres
from bench.common import fresh_database, manage, timed

LINES = 2_000
SMALL = 50
REQUESTS = 15


def main() -> None:
    url, server = fresh_database("avataq_bench_reconcile")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", "4000")
        os.environ.update(
            DEBUG="1",
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="avataq.settings",
            LOG_LEVEL="WARNING",
        )
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from avataq.tests.factories import StaffUserFactory
        from bench.reconciliation_data import Paid, statement_csv
        from billing import reconciliation, services
        from billing.bulk import sheets_compute_bulk
        from billing.models import BankAccount, LineProposal, ScheduledPayment
        from enrollment.models import ChecklistItem, Enrollment, RequiredDocument

        RequiredDocument.objects.all().delete()
        ChecklistItem.objects.all().delete()
        sheets_compute_bulk(
            enrollments=Enrollment.objects.all(), validate=True, today=dt.date(2024, 8, 1)
        )
        open_payments = (
            ScheduledPayment.objects.filter(amount__gt=0, status="scheduled")
            .select_related("enrollment__student", "school")
            .order_by("enrollment__student__status_no", "due_date", "pk")
        )
        paid = [
            Paid(
                p.reference,
                p.amount,
                p.due_date,
                p.enrollment.student.status_no,
                p.school.name if p.school_id else p.enrollment.student.full_name,
            )
            for p in open_payments[: LINES + SMALL + 200]
        ]

        def imported(data: bytes, name: str):
            account = BankAccount.objects.create(  # one each: no line is the other's
                name=name,
                institution="Bench",
                account_number=f"{BankAccount.objects.count():04d}",
                csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
            )
            statement, _ = services.statement_import_and_reconcile(
                account=account, data=data, filename=name, source_format="csv"
            )
            reconciliation.proposals_refresh(statement=statement)  # a no-op when the import did it
            return statement

        small = imported(statement_csv(paid[:60], lines=SMALL, seed=1), "small.csv")
        large = imported(statement_csv(paid[60:], lines=LINES, seed=2), "large.csv")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(StaffUserFactory(username="bench-finance", group="Finance"))

        def queries(path: str) -> tuple[int, int]:
            """(queries, KB of HTML) of the page at ``path``."""
            connection.queries_log.clear()  # a full log counts nothing new
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} did not answer 200")
            return len(captured), len(response.content) // 1024

        counts = large.lines.count(), LineProposal.objects.filter(statement=large).count()
        kinds = dict(
            LineProposal.objects.filter(statement=large)
            .values_list("kind")
            .annotate(n=django.db.models.Count("pk"))
        )
        print(
            f"{counts[0]:,}-line statement: {large.lines.filter(matched_amount__gt=0).count():,} "
            f"matched at import, {counts[1]:,} proposals stored ({kinds})"
        )
        for label, statement, query in [
            (f"{small.lines.count()} lines, first page", small, ""),
            (f"{counts[0]:,} lines, first page", large, ""),
            (f"{counts[0]:,} lines, with a suggestion", large, "?show=suggested"),
            (f"{counts[0]:,} lines, nothing suggested", large, "?show=unmatched"),
            (f"{counts[0]:,} lines, last page", large, "?page=1000"),
            (f"{counts[0]:,} lines, a search", large, "?q=AVQ-2024F"),
        ]:
            path = f"/finance/statements/{statement.pk}/{query}"
            number, size = queries(path)
            samples = timed(lambda path=path: client.get(path), repeat=REQUESTS)
            print(
                f"reconcile page, {label}: median {statistics.median(samples) * 1000:.0f} ms "
                f"({number} queries, {size} KB)"
            )

        # Acting on a line: each refreshes the statement's proposals.
        singles = list(
            LineProposal.objects.filter(statement=large, kind="single")
            .order_by("line_id")
            .values_list("line_id", flat=True)[:5]
        )
        samples = []
        for line_id in singles:
            path = f"/finance/statements/{large.pk}/accept/"
            samples += timed(lambda path=path, i=line_id: client.post(path, {"line": i}), 1)
        print(
            f"accept one suggestion ({len(samples)} lines): median "
            f"{statistics.median(samples) * 1000:.0f} ms"
        )
        samples = timed(lambda: reconciliation.proposals_refresh(statement=large), repeat=5)
        print(
            f"proposals_refresh of the {counts[0]:,}-line statement, nothing changed: median "
            f"{statistics.median(samples) * 1000:.0f} ms"
        )
        path = f"/finance/statements/{large.pk}/accept/"
        samples = timed(lambda: client.post(path, {"threshold": "0.85"}), 1)
        print(f"accept all above 0.85: {samples[0] * 1000:.0f} ms")
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
