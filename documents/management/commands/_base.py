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

from avataq.commands import EXIT_PROBLEMS, EXIT_UNAVAILABLE, AvataqCommand

__all__ = ["EXIT_PROBLEMS", "EXIT_UNAVAILABLE", "DocumentsCommand", "exit_codes_help"]

EXIT_CODES_HELP = (
    "Exit codes: 0 done; {problems}2 a dependency (the document storage, the database) "
    "did not answer, or bad arguments."
)


def exit_codes_help(problems: str = "") -> str:
    return EXIT_CODES_HELP.format(problems=f"1 {problems}; " if problems else "")


class DocumentsCommand(AvataqCommand):
    """The documents commands: the project's command error boundary (avataq.commands)."""
