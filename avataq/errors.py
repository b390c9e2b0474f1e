"""The project's errors: one base with a code and a message a person can read (in their
language), and the dependency failures every entry point answers the same way (a 503
page saying what happened and to retry in a minute; nothing of the request kept)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AvataqError(Exception):
    """A request that cannot be carried out. ``message`` is for the user (translatable);
    ``code`` is stable, for logs and tests."""

    code = "error"
    default_message: str | Promise = _("This cannot be done.")

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class DependencyUnavailable(AvataqError):
    """A service the request needs (document storage, the task broker, the mail server)
    is down or too slow. Raised only where nothing of the request has been kept."""

    code = "dependency_unavailable"
    default_message = _(
        "A service this page needs is not answering right now. Nothing was saved; "
        "please try again in a minute."
    )

    def __init__(self, dependency: str, message: str | Promise | None = None) -> None:
        self.dependency = dependency
        super().__init__(message, code=f"{dependency}_unavailable")
