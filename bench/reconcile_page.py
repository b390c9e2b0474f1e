"""The finance reconcile page for a 2,000-line statement (part of `make bench`)."""

from __future__ import annotations

import datetime as dt
import os
import statistics

from avataq.dev import postgres
from bench.common import fresh_database, manage, timed

LINES = 2_000


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
        from django.test import Client

        from avataq.tests.factories import StaffUserFactory
        from billing import services
        from billing.bulk import sheets_compute_bulk
        from billing.models import BankAccount, ScheduledPayment
        from enrollment.models import ChecklistItem, Enrollment, RequiredDocument

        RequiredDocument.objects.all().delete()
        ChecklistItem.objects.all().delete()
        sheets_compute_bulk(
            enrollments=Enrollment.objects.all(), validate=True, today=dt.date(2024, 8, 1)
        )
        payments = list(ScheduledPayment.objects.filter(amount__gt=0).order_by("pk")[:LINES])
        rows = []
        for i, p in enumerate(payments):
            text = f"VIREMENT {p.reference}" if i % 3 else f"VIREMENT {p.enrollment_id}"
            rows.append(f"{p.due_date:%Y-%m-%d},{text},-{p.amount}")
        account = BankAccount.objects.create(
            name="Bench",
            institution="Bench",
            account_number="0000",
            csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
        )
        statement = services.statement_import(
            account=account,
            data=("Date,Description,Amount\n" + "\n".join(rows)).encode(),
            filename="bench.csv",
            source_format="csv",
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(StaffUserFactory(username="bench-finance", group="Finance"))
        page = f"/finance/statements/{statement.pk}/"
        if client.get(page).status_code != 200:
            raise SystemExit("the reconcile page did not answer 200")
        samples = timed(lambda: client.get(page), repeat=5)
        print(
            f"reconcile page, {statement.lines_read:,}-line statement (none matched yet, "
            f"suggestions computed): median {statistics.median(samples) * 1000:.0f} ms"
        )
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
