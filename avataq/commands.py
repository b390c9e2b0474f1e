"""The management commands' error boundary: the one place where an error a command's
work raises becomes one line on stderr naming the problem, and an exit status a script
can act on — never a traceback.

- 0: done;
- 1: the command ran and refused or found a problem (an :class:`~avataq.errors.AvataqError`
  says which, in the operator's language);
- 2: it could not run: a dependency (the document storage, the database, the broker) did
  not answer, or an argument is wrong. Retrying later may help; nothing was changed.

Commands with their own statuses (the backups' "skipped", 3) extend ``exit_status``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from avataq.errors import AvataqError, DependencyUnavailable

EXIT_PROBLEMS = 1
EXIT_UNAVAILABLE = 2


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class AvataqCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (AvataqError, OperationalError, InterfaceError, psycopg.OperationalError) as exc:
            raise CommandError(self.error_line(exc), returncode=self.exit_status(exc)) from exc

    def exit_status(self, exc: BaseException) -> int:
        if isinstance(exc, DependencyUnavailable | OperationalError | InterfaceError):
            return EXIT_UNAVAILABLE
        if isinstance(exc, psycopg.OperationalError):
            return EXIT_UNAVAILABLE
        return EXIT_PROBLEMS

    def error_line(self, exc: BaseException) -> str:
        if isinstance(exc, DependencyUnavailable):
            detail = getattr(exc, "detail", "") or str(exc)
            return f"the {exc.dependency} did not answer: {one_line(detail)}"
        if not isinstance(exc, AvataqError):
            return f"the database did not answer: {one_line(str(exc))}"
        return one_line(str(exc))
