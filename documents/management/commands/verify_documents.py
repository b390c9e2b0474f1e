import sys

from django.core.management.base import CommandParser

from documents.management.commands._base import EXIT_PROBLEMS, DocumentsCommand, exit_codes_help
from documents.services import (
    PENDING_GRACE,
    REHASH_SAMPLE,
    documents_settle_pending,
    documents_verify,
)


class Command(DocumentsCommand):
    help = (
        "Compare the document index with the storage: index rows whose object is missing, "
        "objects with no index row, sizes and contents (SHA-256) that differ, archive copies "
        "no prior version points to, and pending objects a failed upload left behind. "
        "Contents are proved by the storage's checksum where it can; the others are "
        f"downloaded and re-hashed, {REHASH_SAMPLE} picked at random unless --rehash or "
        "--rehash-all says otherwise. " + exit_codes_help("the index and the storage disagree")
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", default="", help="only keys under this prefix")
        rehash = parser.add_mutually_exclusive_group()
        rehash.add_argument(
            "--rehash",
            type=int,
            default=REHASH_SAMPLE,
            metavar="N",
            help="download and re-hash at most N objects whose content the storage does not "
            f"prove (default {REHASH_SAMPLE})",
        )
        rehash.add_argument(
            "--rehash-all",
            action="store_true",
            help="download and re-hash every object whose content the storage does not prove",
        )
        parser.add_argument(
            "--settle",
            action="store_true",
            help="first settle pending objects older than "
            f"{int(PENDING_GRACE.total_seconds() // 60)} minutes: promote those whose upload "
            "was committed, remove those whose upload failed",
        )

    def handle(
        self, *args, prefix: str, rehash: int, rehash_all: bool, settle: bool, **options
    ) -> None:
        if settle:
            settled = documents_settle_pending()
            for key in settled.promoted:
                self.stdout.write(f"promoted: {key}")
            for key in settled.removed:
                self.stdout.write(f"removed pending: {key}")
        report = documents_verify(prefix=prefix, rehash=None if rehash_all else max(rehash, 0))
        for key in report.missing_objects:
            self.stdout.write(f"missing object: {key}")
        for key in report.unindexed_objects:
            self.stdout.write(f"not indexed: {key}")
        for key, indexed, stored in report.size_mismatches:
            self.stdout.write(f"size mismatch: {key} (index {indexed} bytes, storage {stored})")
        for key, indexed, stored in report.hash_mismatches:
            self.stdout.write(f"content mismatch: {key} (index sha256 {indexed}, storage {stored})")
        for key in report.orphan_archives:
            self.stdout.write(f"archive no prior version points to: {key}")
        for key in report.missing_archives:
            self.stdout.write(f"prior version's archive missing: {key}")
        for key in report.pending_objects:
            self.stdout.write(f"pending object left behind: {key} (--settle settles it)")
        self.stdout.write(
            f"contents: {report.proven} proved by the storage, {report.rehashed} re-hashed, "
            f"{report.unchecked} not checked"
        )
        self.stdout.write(
            "index and storage agree" if report.ok else f"{report.problems} problem(s)"
        )
        if not report.ok:
            sys.exit(EXIT_PROBLEMS)
