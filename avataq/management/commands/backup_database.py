from django.core.management.base import BaseCommand, CommandError

from avataq.backups import BackupError, backup_database


class Command(BaseCommand):
    help = "Back the database up now: pg_dump streamed to S3 (or .data/backups), verified."

    def handle(self, *args, **options) -> None:
        try:
            record = backup_database(trigger="command")
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"backup {record.key}: {record.size:,} bytes in {record.duration_seconds:.1f} s, "
            f"SHA-256 {record.sha256}"
        )
