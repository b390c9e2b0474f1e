from avataq.backups import BackupCommand, backup_database


class Command(BackupCommand):
    help = (
        "Back the database up now: pg_dump streamed to S3 (or .data/backups), read back by "
        "pg_restore --list, then given its manifest and final key. A failure is recorded "
        "(list_backups) and emailed to ops."
    )

    def handle(self, *args, **options) -> None:
        record = backup_database(trigger="command")
        self.stdout.write(
            f"backup {record.key}: {record.size:,} bytes in {record.duration_seconds:.1f} s, "
            f"SHA-256 {record.sha256}"
        )
