"""List what the retention schedule makes due; with ``--confirmed-by``, destroy it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "List what the retention schedule makes due (--dry-run); destroy it once the privacy "
        "officer has reviewed the list (--confirmed-by USERNAME)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list what is due")
        parser.add_argument("--confirmed-by", help="username of who reviewed and confirms")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="YYYY-MM-DD (tests)")

    def handle(self, *args: Any, **options: Any) -> None:
        from portal.services.retention import retention_apply, retention_due

        due = retention_due(today=options["today"])
        for item in due:
            counts = ", ".join(f"{k}: {v}" for k, v in item.counts.items())
            self.stdout.write(
                f"due  {item.kind:15} {item.what}" + (f" ({counts})" if counts else "")
            )
        if options["dry_run"]:
            self.stdout.write(f"{len(due)} item(s) due; nothing destroyed (--dry-run).")
            return
        username = options["confirmed_by"]
        if not username:
            raise CommandError("--confirmed-by USERNAME is required to destroy (or --dry-run)")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        records, problems = retention_apply(by=user, today=options["today"])
        for record in records:
            self.stdout.write(f"destroyed  {record.kind:15} {record.what} {record.counts}")
        for problem in problems:
            self.stderr.write(f"skipped  {problem}")
        self.stdout.write(f"{len(records)} destroyed or anonymised, {len(problems)} skipped.")
