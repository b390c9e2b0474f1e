from django.core.management.base import BaseCommand, CommandParser

from documents.services import documents_reindex


class Command(BaseCommand):
    help = "Rebuild or complete the document index from a scan of the storage (a prefix: a cohort)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", default="", help="only keys under this prefix, e.g. 12345/")

    def handle(self, *args, prefix: str, **options) -> None:
        report = documents_reindex(prefix=prefix)
        for key, reason in report.skipped:
            self.stderr.write(f"skipped {key}: {reason}")
        self.stdout.write(
            f"{report.created} indexed, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped."
        )
