from django.core.management.base import BaseCommand, CommandError, CommandParser

from avataq.backups import BackupError, verify_backup


class Command(BaseCommand):
    help = "Restore a backup into a scratch database, compare row counts, drop it, report."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--key")
        which.add_argument("--latest", action="store_true", default=True)

    def handle(self, *args, key, latest, **options) -> None:
        try:
            result = verify_backup(key=key, latest=not key)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            for table, (expected, actual) in result.differences.items():
                self.stderr.write(f"{table}: manifest {expected} rows, restored {actual}")
            raise CommandError(f"{result.key} failed verification")
        self.stdout.write(f"{result.key} verified: every table's row count matches "
                          f"({result.seconds:.1f} s)")  # fmt: skip
