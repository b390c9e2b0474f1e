from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from avataq.odoo.mapping import Mapping, MappingError
from avataq.odoo.registry import UnknownImporter
from avataq.odoo.runner import run_import, verify
from avataq.odoo.sources import API_KEY_VARIABLE, SourceError, open_source

EXIT_OK, EXIT_DIFFERENCES, EXIT_UNREADABLE = 0, 1, 2

HELP = f"""Import the Odoo 16 system's data (the cut-over): every model the apps register, in
dependency order, each in its own transaction. Running it again updates what changed in
Odoo and never makes a row twice; an interrupted run is resumed by running it again.
After a real run, what was imported is verified against the source.

SOURCE is a folder of Odoo exports (one file per model, CSV or XLSX, "I want to update
data (import-compatible export)" ticked), or odoo+https://user@host/database for the
XML-RPC API, with the user's API key in the environment variable {API_KEY_VARIABLE}.

Exit codes: 0 done, nothing refused and no difference; 1 rows refused, or the
verification found differences (each named, with its file and line); 2 the source or
the mapping cannot be read, or bad arguments (nothing was written)."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="a folder of Odoo exports, or odoo+https://user@host/db")
        parser.add_argument(
            "--mapping",
            type=Path,
            help="the mapping file (TOML); default: avataq/odoo/default_mapping.toml",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read and check everything, write nothing: per model what would be created, "
            "updated or refused, and the money per session and school",
        )
        parser.add_argument(
            "--only",
            nargs="+",
            metavar="MODEL",
            help="only these (e.g. student enrollment payment); the models they need must "
            "have been imported already",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="import nothing: compare what is here with the source (rows, counts, money)",
        )

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (MappingError, SourceError, UnknownImporter) as exc:
            problems = getattr(exc, "problems", None) or [str(exc)]
            raise CommandError(
                "\n".join([*problems, _("(nothing was written)")]), returncode=EXIT_UNREADABLE
            ) from None
        except DatabaseError as exc:
            reason = " ".join(str(exc).split())
            raise CommandError(
                _(
                    "the database refused the import: %(reason)s (the model being imported "
                    "was rolled back; those before it are kept)"
                )
                % {"reason": reason},
                returncode=EXIT_DIFFERENCES,
            ) from None

    def handle(
        self,
        *args: Any,
        source: str,
        mapping: Path | None,
        dry_run: bool,
        only: list[str] | None,
        verify: bool,
        **options: Any,
    ) -> None:
        if dry_run and verify:
            raise CommandError(_("--dry-run and --verify: choose one"), returncode=EXIT_UNREADABLE)
        loaded = Mapping.load(mapping)
        opened = open_source(source if "://" in source else os.path.expanduser(source))
        try:
            if verify:
                self._verify(opened, loaded, only)
                return
            report = run_import(source=opened, mapping=loaded, dry_run=dry_run, only=only)
            self.stdout.write("\n".join(report.lines()))
            if dry_run:
                problems = report.refusals
            else:
                # The verification names the refused rows again, with every other
                # difference: its count is the one that says whether the cut-over is done.
                self.stdout.write("")
                problems = self._verify(opened, loaded, only, exit_on_difference=False)
        finally:
            opened.close()
        if problems:
            raise CommandError(
                ngettext(
                    "%(count)d row refused or different (listed above)",
                    "%(count)d rows refused or different (listed above)",
                    problems,
                )
                % {"count": problems},
                returncode=EXIT_DIFFERENCES,
            )

    def _verify(
        self,
        source: Any,
        mapping: Mapping,
        only: list[str] | None,
        exit_on_difference: bool = True,
    ) -> int:
        result = verify(source=source, mapping=mapping, only=only)
        self.stdout.write("\n".join(result.lines()))
        if result.differences and exit_on_difference:
            count = len(result.differences)
            raise CommandError(
                ngettext(
                    "%(count)d difference with the source (listed above)",
                    "%(count)d differences with the source (listed above)",
                    count,
                )
                % {"count": count},
                returncode=EXIT_DIFFERENCES,
            )
        return len(result.differences)
