from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from avataq.commands import AvataqCommand
from scholarships.services import ImportFileError, students_import


class Command(AvataqCommand):
    help = (
        "Create or update students from a CSV file, by status_no. Columns: status_no, "
        "first_name, last_name, date_of_birth (YYYY-MM-DD), community (name or code); "
        "optional: email, phone, marital_status, dependants, is_active."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, header row first")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            with file.open(encoding="utf-8-sig", newline="") as lines:
                report = students_import(lines=lines, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}; nothing was imported") from None
        for line, reason in report.errors:
            self.stderr.write(f"{file}:{line}: {reason}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged "
            f"{verb} applied; {len(report.errors)} row(s) rejected."
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} row(s) rejected (listed above)")
