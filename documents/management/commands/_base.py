"""What the documents commands share: a dependency that does not answer is one line on
stderr naming it, and its own exit code, never a traceback.

Exit codes, for every documents command:

- 0: done;
- 1: the command ran and found a problem it reports (``verify_documents``: the index and
  the storage disagree);
- 2: it could not run: a dependency (the document storage, the database) did not
  answer, or the arguments are wrong. Retrying later may help; nothing was changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from avataq.errors import DependencyUnavailable

EXIT_PROBLEMS = 1
EXIT_UNAVAILABLE = 2

EXIT_CODES_HELP = (
    "Exit codes: 0 done; {problems}2 a dependency (the document storage, the database) "
    "did not answer, or bad arguments."
)


def exit_codes_help(problems: str = "") -> str:
    return EXIT_CODES_HELP.format(problems=f"1 {problems}; " if problems else "")


class DocumentsCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except DependencyUnavailable as exc:
            detail = getattr(exc, "detail", "") or str(exc)
            raise CommandError(
                f"the {exc.dependency} did not answer: {_one_line(detail)}",
                returncode=EXIT_UNAVAILABLE,
            ) from exc
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(
                f"the database did not answer: {_one_line(str(exc))}", returncode=EXIT_UNAVAILABLE
            ) from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())
