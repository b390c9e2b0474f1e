"""`seed_demo --students 20000` time, then the admin changelists' time on that data.

make bench ARGS=seed
"""

from __future__ import annotations

import os
import statistics

from bench.common import fresh_database, manage, median_ms, timed

STUDENTS = 20_000
RUNS = 3


def main() -> None:
    seed_times = []
    server = None
    for _ in range(RUNS):
        url, server = fresh_database("avataq_bench_seed")
        manage(url, "migrate", "--noinput")
        seed_times.append(manage(url, "seed_demo", "--students", str(STUDENTS)))
        if server is not None and len(seed_times) < RUNS:
            from avataq.dev.postgres import stop_embedded

            stop_embedded(server)
    again = manage(url, "seed_demo", "--students", str(STUDENTS))
    print(
        f"seed_demo --students {STUDENTS}: median {statistics.median(seed_times):.2f} s "
        f"over {RUNS} fresh databases ({', '.join(f'{t:.2f}' for t in seed_times)}); "
        f"re-run on seeded data (adds nothing): {again:.2f} s"
    )

    os.environ.update(DEBUG="1", DATABASE_URL=url, DJANGO_SETTINGS_MODULE="avataq.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    for label, url_path in [
        ("student changelist", "/admin/scholarships/student/"),
        ("enrollment changelist", "/admin/enrollment/enrollment/"),
        ("student search by status_no", "/admin/scholarships/student/?q=100777"),
        ("enrollment filtered by status", "/admin/enrollment/enrollment/?status__exact=active"),
    ]:
        if client.get(url_path).status_code != 200:  # also warms up
            raise SystemExit(f"{url_path} did not answer 200")
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get(url_path)
        samples = timed(lambda p=url_path: client.get(p), repeat=15)
        print(
            f"admin {label}: median {median_ms(samples)} over 15 requests, {len(queries)} queries"
        )
    if server is not None:
        from avataq.dev.postgres import stop_embedded

        stop_embedded(server)


if __name__ == "__main__":
    main()
