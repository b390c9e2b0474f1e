from django.core.management.base import CommandError, CommandParser

from avataq.backups import EXIT_FAILED, BackupCommand, verify_backup


class Command(BackupCommand):
    help = (
        "Restore a backup into a scratch database, compare row counts, drop it, report. "
        "The result is recorded on the backup; a failure is emailed to ops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--key")
        which.add_argument("--latest", action="store_true", default=True)

    def handle(self, *args, key, latest, **options) -> None:
        result = verify_backup(key=key, latest=not key)
        if not result.ok:
            for table, (expected, actual) in result.differences.items():
                self.stderr.write(f"{table}: manifest {expected} rows, restored {actual}")
            raise CommandError(f"{result.key} failed verification", returncode=EXIT_FAILED)
        self.stdout.write(
            f"{result.key} verified: every table's row count matches ({result.seconds:.1f} s)"
        )
