from django.core.management.base import CommandError, CommandParser

from avataq.commands import AvataqCommand
from billing.demo import bank_demo_seed, billing_demo_seed, payments_demo_seed
from enrollment.demo import demo_seed

MAX_STUDENTS = 50_000


class Command(AvataqCommand):
    help = (
        "Load realistic demo data (idempotent): years, sessions, schools, students, "
        "enrollments, rates and validated computing sheets, bank details and payment runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--students", type=int, default=400, help="how many students (≤ 50,000)"
        )

    def handle(self, *args, students: int, **options) -> None:
        if not 0 <= students <= MAX_STUDENTS:
            raise CommandError(f"--students must be between 0 and {MAX_STUDENTS:,}, not {students}")
        report = demo_seed(students=students)
        sheets = billing_demo_seed()
        bank_lines = bank_demo_seed()
        details = payments_demo_seed()
        self.stdout.write(
            f"Demo data: {report.students_created} students and "
            f"{report.enrollments_created} enrollments created "
            f"({report.students_total} demo students in all); {sheets} computing sheets validated; "
            f"{bank_lines} bank statement lines to reconcile; {details} bank details and two "
            "payment runs (one approved, one waiting for approval)."
        )
