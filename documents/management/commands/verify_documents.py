import sys

from django.core.management.base import BaseCommand, CommandParser

from documents.services import documents_verify


class Command(BaseCommand):
    help = (
        "Compare the document index with the storage: index rows whose object is missing, "
        "objects with no index row, size mismatches. Exits 1 when it finds any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", default="", help="only keys under this prefix")

    def handle(self, *args, prefix: str, **options) -> None:
        report = documents_verify(prefix=prefix)
        for key in report.missing_objects:
            self.stdout.write(f"missing object: {key}")
        for key in report.unindexed_objects:
            self.stdout.write(f"not indexed: {key}")
        for key, indexed, stored in report.size_mismatches:
            self.stdout.write(f"size mismatch: {key} (index {indexed} bytes, storage {stored})")
        problems = (
            len(report.missing_objects) + len(report.unindexed_objects)
            + len(report.size_mismatches)
        )  # fmt: skip
        self.stdout.write("index and storage agree" if report.ok else f"{problems} problem(s)")
        if not report.ok:
            sys.exit(1)
