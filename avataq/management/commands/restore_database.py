from django.core.management.base import CommandParser

from avataq.backups import BackupCommand, restore_database


class Command(BackupCommand):
    help = (
        "Restore a backup into a database, after checking its SHA-256 against the manifest. "
        "Refuses the live database unless --i-know-this-replaces-live-data, and any other "
        "database holding tables unless --replace-existing-database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--key", help="the backup's key, as list_backups shows it")
        which.add_argument("--latest", action="store_true", help="the newest complete backup")
        parser.add_argument("--target-database", required=True, help="database to restore into")
        parser.add_argument(
            "--i-know-this-replaces-live-data", action="store_true", dest="replace_live"
        )
        parser.add_argument(
            "--replace-existing-database",
            action="store_true",
            dest="replace_existing",
            help="restore into a database that already holds tables (they are replaced)",
        )

    def handle(
        self, *args, key, latest, target_database, replace_live, replace_existing, **options
    ) -> None:
        result = restore_database(
            key=key,
            latest=latest,
            target=target_database,
            replace_live=replace_live,
            replace_existing=replace_existing,
        )
        self.stdout.write(
            f"restored {result.key} into {result.target} in {result.seconds:.1f} s "
            f"({len(result.manifest['table_rows'])} tables)"
        )
