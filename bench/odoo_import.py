"""`import_odoo` on generated Odoo 16 exports: 20,000 students, 60,000 inscriptions,
60,000 computing sheets (120,000 lines) and 500,000 payments; wall time and peak memory
of the import, then of the verification alone. ``ODOO_BENCH_SCALE=0.1`` runs a tenth.

make bench ARGS=odoo_import
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BASE_DIR, fresh_database, manage

SCALE = float(os.environ.get("ODOO_BENCH_SCALE", "1"))
STUDENTS = int(20_000 * SCALE)
PAYMENTS = int(500_000 * SCALE)
SCHOOLS = 10
TERMS = [
    ("fall", "2024-08-19", "2024-12-20"),
    ("winter", "2025-01-13", "2025-05-16"),
    ("summer", "2025-05-20", "2025-06-27"),
]
COMMUNITIES = ["Kuujjuaq", "Inukjuak", "Salluit", "Puvirnituq", "Kangiqsujuaq"]


def _write(folder: Path, model: str, header: str, rows: object) -> None:
    with (folder / f"{model}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header.split())
        writer.writerows(rows)


def generate(folder: Path) -> None:
    x = "__export__.{}_{}_0000abcd".format
    _write(
        folder,
        "avataq.school",
        "id name code school_type city active partner_id/id",
        (
            [
                x("avataq_school", s),
                f"École {s}",
                f"S{s}",
                "cegep",
                "Montréal",
                "True",
                x("res_partner", s),
            ]
            for s in range(SCHOOLS)
        ),
    )
    _write(
        folder,
        "avataq.program",
        "id name school_id/id level active",
        (
            [x("avataq_program", s), "Sciences humaines", x("avataq_school", s), "dec_pre", "True"]
            for s in range(SCHOOLS)
        ),
    )
    _write(
        folder,
        "avataq.scholar.year",
        "id name date_start date_end",
        [[x("avataq_scholar_year", 1), "2024-2025", "2024-07-01", "2025-06-30"]],
    )
    _write(
        folder,
        "avataq.session",
        "id scholar_year_id/id term date_start date_end",
        (
            [x("avataq_session", i), x("avataq_scholar_year", 1), term, start, end]
            for i, (term, start, end) in enumerate(TERMS)
        ),
    )
    _write(
        folder,
        "avataq.student",
        "id status_number firstname lastname birthdate community_id lang active",
        (
            [
                x("avataq_student", n),
                str(100000 + n),
                "Élisapie",
                f"Qumaluk {n}",
                "2003-02-14",
                COMMUNITIES[n % 5],
                "fr_CA",
                "True",
            ]
            for n in range(STUDENTS)
        ),
    )
    inscriptions = [(n * 3 + t, n, t) for n in range(STUDENTS) for t in range(3)]
    _write(
        folder,
        "avataq.inscription",
        "id student_id/id session_id/id school_id/id program_id/id study_load state "
        "date_submitted note",
        (
            [
                x("avataq_inscription", i),
                x("avataq_student", n),
                x("avataq_session", t),
                x("avataq_school", n % SCHOOLS),
                x("avataq_program", n % SCHOOLS),
                "full",
                "done",
                "2024-06-01 03:30:00",
                "Première ligne\nseconde ligne",
            ]
            for i, n, t in inscriptions
        ),
    )
    _write(
        folder,
        "avataq.computing.sheet",
        "id inscription_id/id state nb_months amount_total amount_school "
        "amount_student date_validated",
        (
            [
                x("avataq_computing_sheet", i),
                x("avataq_inscription", i),
                "validated",
                "4",
                "5400.0",
                "1800.0",
                "3600.0",
                "2024-08-02 04:10:00",
            ]
            for i, _, _ in inscriptions
        ),
    )
    _write(
        folder,
        "avataq.computing.sheet.line",
        "id sheet_id/id code name quantity price_unit amount payee",
        (
            row
            for i, _, _ in inscriptions
            for row in (
                [
                    x("avataq_computing_sheet_line", 2 * i),
                    x("avataq_computing_sheet", i),
                    "TUITION",
                    "Tuition",
                    "1.0",
                    "1800.0",
                    "1800.0",
                    "school",
                ],
                [
                    x("avataq_computing_sheet_line", 2 * i + 1),
                    x("avataq_computing_sheet", i),
                    "LIVING",
                    "Living",
                    "4.0",
                    "900.0",
                    "3600.0",
                    "student",
                ],
            )
        ),
    )
    sheets = len(inscriptions)

    def payments():
        for p in range(PAYMENTS):
            sheet = p % sheets
            yield [
                x("account_payment", p),
                x("avataq_computing_sheet", sheet),
                "LIVING",
                "student",
                f"AVQ-{sheet}-{p // sheets + 1:02d}",
                "900.0",
                "outbound",
                "2024-09-15",
                "posted" if p % 3 else "draft",
            ]

    _write(
        folder,
        "account.payment",
        "id computing_sheet_id/id line_code payee ref amount payment_type date state",
        payments(),
    )


def run(database_url: str, *args: str) -> tuple[float, int, int]:
    """(wall time, peak resident memory in MB, exit status) of ``manage.py args``, the
    memory that of this one process (``wait4``), not of every child run so far; the
    peak after each model is printed as the process goes (see :func:`child`).
    ``ODOO_BENCH_PROFILE=FILE`` runs it under cProfile, writing the statistics to
    FILE.import (or FILE.verify)."""
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url}
    profile = os.environ.get("ODOO_BENCH_PROFILE")
    if profile:  # one file per run: FILE.import, FILE.verify
        profile = f"{profile}.{'verify' if '--verify' in args else 'import'}"
    python = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else [])]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*python, "-m", "bench.odoo_import", "child", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        errors.seek(0)
        output = errors.read().decode(errors="replace")
        print("\n".join(line for line in output.splitlines() if line.startswith("  after ")))
        if process.returncode:
            print(output[-2000:], file=sys.stderr)
    return elapsed, usage.ru_maxrss // 1024, process.returncode


def child(*args: str) -> None:
    """``manage.py args`` in this process, printing (to stderr) the wall time and peak
    resident memory so far after each model's importer, so a growth shows where."""
    import django
    from django.core.management import CommandError, call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avataq.settings")
    django.setup()
    from avataq.odoo.importer import Importer
    from avataq.odoo.registry import registered

    started, depth = time.perf_counter(), [0]

    def measured(method: Any) -> Any:
        def run(self: Importer, job: object) -> object:
            depth[0] += 1
            try:
                return method(self, job)
            finally:
                depth[0] -= 1
                if not depth[0]:  # an importer's own run() calling the base one: once
                    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
                    print(
                        f"  after {self.label:<28} {time.perf_counter() - started:6.0f} s"
                        f"  peak {peak} MB",
                        file=sys.stderr,
                    )

        return run

    for cls in {Importer, *(type(i) for i in registered().values())}:
        if "run" in vars(cls):
            cls.run = measured(vars(cls)["run"])
    try:
        call_command(*args)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(exc.returncode) from None


def main() -> None:
    url, _server = fresh_database("avataq_bench_odoo")
    manage(url, "migrate", "--noinput")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        generate(Path(folder))
        written = time.perf_counter() - started
        print(
            f"scale {SCALE:g}: {STUDENTS} students, {STUDENTS * 3} inscriptions and sheets, "
            f"{PAYMENTS} payments; exports written in {written:.0f} s"
        )
        elapsed, peak, code = run(url, "import_odoo", folder)
        print(
            f"import_odoo (import, then verification): {elapsed:.0f} s, peak memory "
            f"{peak} MB, exit status {code}"
        )
        elapsed, peak, code = run(url, "import_odoo", folder, "--verify")
        print(f"import_odoo --verify: {elapsed:.0f} s, peak memory {peak} MB, exit status {code}")
        if code:
            raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(*sys.argv[2:])
    else:
        main()
