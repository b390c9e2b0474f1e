"""Importing a 100,000-line CSV statement: the lines stored, the automatic matches applied
and the proposals stored, as Finance's upload does; then the reconcile page of that
statement (part of `make bench`).

    make bench ARGS=statement_import
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import pstats
import resource
import statistics
import sys
import time

from avataq.dev import postgres
from bench.common import fresh_database, manage

LINES = 100_000
STUDENTS = 8_000
RUNS = 3


def _timing(spent: dict[str, float], module: object, *names: str) -> None:
    """Wrap ``module``'s functions ``names`` to add up in ``spent`` the time in each."""
    for name in names:
        spent[name] = 0.0
        original = getattr(module, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(module, name, timed)


def main() -> None:
    url, server = fresh_database("avataq_bench_statement_import")
    try:
        manage(url, "migrate", "--noinput")
        manage(url, "seed_demo", "--students", str(STUDENTS))
        # DEBUG on, as the page benchmark (the stylesheet needs no collectstatic); every
        # query is then also kept in memory: production is a little faster.
        os.environ.update(
            DEBUG="1",
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="avataq.settings",
            LOG_LEVEL="WARNING",
        )
        import django

        django.setup()
        from django.db import connection, transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from avataq.tests.factories import StaffUserFactory
        from bench.reconciliation_data import Paid, statement_csv
        from billing import reconciliation, services, statement_files
        from billing.bulk import sheets_compute_bulk
        from billing.models import (
            BankAccount,
            BankStatement,
            ComputingSheet,
            LineProposal,
            Match,
            RejectedSuggestion,
            ScheduledPayment,
            StatementLine,
        )
        from enrollment.models import ChecklistItem, Enrollment, RequiredDocument

        RequiredDocument.objects.all().delete()  # measure the reconciliation, not the paperwork
        ChecklistItem.objects.all().delete()
        for model in (Match, RejectedSuggestion, LineProposal, StatementLine, BankStatement):
            model.objects.all().delete()  # the demo's statement, and what it matched
        ScheduledPayment.objects.all().delete()
        ComputingSheet.objects.all().delete()
        sheets_compute_bulk(
            enrollments=Enrollment.objects.filter(status__in=["approved", "active", "completed"]),
            validate=True,
            today=dt.date(2024, 8, 1),
        )
        rows = (
            ScheduledPayment.objects.filter(amount__gt=0, status="scheduled")
            .order_by("enrollment__student__status_no", "due_date", "pk")
            .values_list(
                "reference",
                "amount",
                "due_date",
                "enrollment__student__status_no",
                "school__name",
                "enrollment__student__first_name",
                "enrollment__student__last_name",
            )
        )
        paid = [
            Paid(ref, amount, due, status_no, school or f"{first} {last}")
            for ref, amount, due, status_no, school, first, last in rows
        ]
        data = statement_csv(paid, lines=LINES)
        account = BankAccount.objects.create(
            name="Bench",
            institution="Bench",
            account_number="0000",
            csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
        )
        user = StaffUserFactory(username="bench-finance", group="Finance")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        lines = data.count(b"\n") - 1
        print(f"{len(paid):,} open payments; a {len(data) / 1e6:.1f} MB CSV of {lines:,} lines")
        spent: dict[str, float] = {}
        _timing(spent, statement_files, "read_file", "_store")
        _timing(spent, reconciliation, "statement_auto_reconcile", "proposals_refresh")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        imports, refreshes, pages = [], [], []
        profile = "--profile" in sys.argv
        for run in range(RUNS):
            with transaction.atomic():  # each run starts from the same payments
                for step in spent:
                    spent[step] = 0.0
                profiler = cProfile.Profile() if profile and run == 0 else None
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                statement, applied = services.statement_import_and_reconcile(
                    account=account, data=data, filename="year.csv", source_format="csv", by=user
                )
                imported = time.perf_counter()
                proposals = reconciliation.proposals_refresh(statement=statement)
                done = time.perf_counter()
                if profiler:
                    profiler.disable()
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("cumulative").print_stats(45)
                    stats.sort_stats("tottime").print_stats(25)
                imports.append(imported - started)
                refreshes.append(done - imported)
                path = f"/finance/statements/{statement.pk}/?show=suggested"
                connection.queries_log.clear()  # a full log counts nothing new
                with CaptureQueriesContext(connection) as captured:
                    if client.get(path).status_code != 200:
                        raise SystemExit(f"{path} did not answer 200")
                began = time.perf_counter()
                client.get(path)
                pages.append(time.perf_counter() - began)
                print(
                    f"run {run + 1}: import and automatic pass {imported - started:.1f} s "
                    f"({statement.lines_new:,} lines, {applied:,} matched, "
                    f"{Match.objects.filter(line__statement=statement).count():,} matches), "
                    f"proposals_refresh again {done - imported:.1f} s ({proposals:,} stored, "
                    f"{LineProposal.objects.filter(statement=statement).count():,} rows); "
                    f"page {pages[-1] * 1000:.0f} ms, {len(captured)} queries; in all: "
                    + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in spent.items()),
                    flush=True,
                )
                transaction.set_rollback(True)
        total = [i + r for i, r in zip(imports, refreshes, strict=True)]
        print(
            f"median: import + automatic pass + proposals {statistics.median(imports):.1f} s, "
            f"then proposals_refresh (nothing changed) {statistics.median(refreshes):.1f} s; "
            f"both {statistics.median(total):.1f} s; the page {statistics.median(pages) * 1000:.0f}"
            f" ms; peak RSS {before:.0f} MB before the imports (setting up), "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB after"
        )
    finally:
        if server is not None:
            postgres.stop_embedded(server)


if __name__ == "__main__":
    main()
