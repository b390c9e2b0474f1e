"""Email in development (``DEBUG`` on, no ``EMAIL_URL``): each message is written to a file
under ``EMAIL_FILE_PATH`` (``.data/mail/``), where a developer opens its links, and the
console says only who it went to and where it is. The console backend would print the
one-time links (confirmation, reset, invitation) into the logs."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend
from django.core.mail.message import EmailMessage

log = logging.getLogger(__name__)


class FileEmailBackend(EmailBackend):
    """Django's file backend (one file per connection, so per outbox email), plus one
    line on the console without the message itself."""

    def write_message(self, message: EmailMessage) -> None:
        super().write_message(message)
        path = Path(self._fname)
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        log.info(
            "email to %s: %s (saved in %s)",
            ", ".join(message.recipients()),
            message.subject,
            shown,
        )
