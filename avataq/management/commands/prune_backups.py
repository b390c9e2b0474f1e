from django.core.management.base import CommandParser

from avataq.backups import BackupCommand, backups_prune


class Command(BackupCommand):
    help = "Delete backups older than BACKUP_KEEP_DAYS (30), never the newest complete one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-days", type=int, default=None)

    def handle(self, *args, keep_days: int | None, **options) -> None:
        report = backups_prune(keep_days=keep_days)
        for key in report.deleted:
            self.stdout.write(f"deleted {key}")
        self.stdout.write(f"{len(report.deleted)} deleted, {len(report.kept)} kept")
