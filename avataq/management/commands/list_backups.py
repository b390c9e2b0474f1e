from django.core.management.base import CommandParser
from django.utils import timezone

from avataq.backups import BackupCommand, backups_fail_dead_runs
from avataq.models import BackupRecord


class Command(BackupCommand):
    help = (
        "List backup attempts, newest first: date, size, status, key. A backup whose process "
        "died is marked failed first (and ops emailed), never listed as running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args, limit: int, **options) -> None:
        backups_fail_dead_runs()
        records = BackupRecord.objects.all()[:limit]
        if not records:
            self.stdout.write("no backup yet")
            return
        self.stdout.write(f"{'started':<17} {'size':>14}  {'status':<9}  key")
        for record in records:
            started = timezone.localtime(record.started_at).strftime("%Y-%m-%d %H:%M")
            size = f"{record.size:,}" if record.size is not None else "—"
            note = f"  ({record.error.splitlines()[0][:80]})" if record.error else ""
            self.stdout.write(f"{started:<17} {size:>14}  {record.status:<9}  {record.key}{note}")
