"""One-time links are credentials: where text is kept (logs, the outbox), their token
is cut out and the rest of the path kept, so a line still says which page it was."""

from __future__ import annotations

import re

# The token part of /account/confirm/<token>/, /account/invitation/<token>/ and
# /account/reset/<uid>/<token>/ (not the fixed /account/reset/sent/ and …/done/ pages).
SECRET_PATH = re.compile(r"(/account/(?:confirm|invitation|reset)/)(?!sent/|done/)[^\s\"'?<>]+")


def redact(text: str) -> str:
    return SECRET_PATH.sub(r"\1…", text)
