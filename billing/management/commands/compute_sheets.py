import re

from django.core.management.base import CommandError, CommandParser

from avataq.commands import AvataqCommand
from billing.bulk import sheets_compute_bulk
from enrollment.models import Enrollment
from scholarships.models import Session

TERMS = {"F": "fall", "W": "winter", "S": "summer"}


class Command(AvataqCommand):
    help = "Compute the first computing sheet of every enrollment of a session (bulk inserts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, help="e.g. 2025F, 2026W, 2026S")
        parser.add_argument(
            "--validate", action="store_true", help="also validate and schedule the payments"
        )

    def handle(self, *args, session: str, validate: bool, **options) -> None:
        match = re.fullmatch(r"(\d{4})([FWS])", session.upper())
        if not match:
            raise CommandError(f"--session {session!r}: give a year and F, W or S, e.g. 2025F")
        found = Session.objects.filter(start_date__year=match[1], term=TERMS[match[2]]).first()
        if found is None:
            raise CommandError(f"no {TERMS[match[2]]} session starting in {match[1]}")
        enrollments = Enrollment.objects.filter(session=found).exclude(
            status__in=[Enrollment.Status.WITHDRAWN, Enrollment.Status.REFUSED]
        )
        report = sheets_compute_bulk(enrollments=enrollments, validate=validate)
        for pk, reason in report.skipped:
            self.stderr.write(f"enrollment {pk}: {reason}")
        self.stdout.write(
            f"{found}: {report.computed} sheets computed, {report.validated} validated, "
            f"{len(report.skipped)} noted"
        )
