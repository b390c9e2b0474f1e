from django.core.management.base import CommandParser

from documents.management.commands._base import DocumentsCommand, exit_codes_help
from documents.services import documents_reindex


class Command(DocumentsCommand):
    help = (
        "Rebuild or complete the document index from a scan of the storage (a prefix: a "
        "cohort). Keys it cannot index are listed on stderr. " + exit_codes_help()
    )

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
