"""How long a sign-in lasts. The portal is used on shared community computers, so:

- staff (``is_staff``, the admin) get a working day, ``STAFF_SESSION_SECONDS``, counted
  from sign-in and not extended by use;
- everyone else is signed out when the browser closes (and by the server after
  ``SESSION_COOKIE_AGE`` without a change to the session), unless the sign-in asked to
  keep them signed in on this device: then ``KEPT_SESSION_SECONDS`` from sign-in.

Set on every sign-in by ``session_lifetime_on_login`` (``user_logged_in``, connected in
``AvataqConfig.ready``); a login page asks for a kept session with ``keep_signed_in``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest

_KEEP_SIGNED_IN = "_avataq_keep_signed_in"


def keep_signed_in(request: HttpRequest) -> None:
    """Let the sign-in about to happen on ``request`` outlast the browser (the person
    ticked "Keep me signed in on this device"). Staff sign-ins ignore it."""
    setattr(request, _KEEP_SIGNED_IN, True)


def session_lifetime_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if session is None:  # a sign-in without a request (a test's or a script's)
        return
    if user.is_staff:
        # A timedelta becomes a fixed date: each later request does not push it back.
        session.set_expiry(dt.timedelta(seconds=settings.STAFF_SESSION_SECONDS))
    elif getattr(request, _KEEP_SIGNED_IN, False):
        session.set_expiry(dt.timedelta(seconds=settings.KEPT_SESSION_SECONDS))
    else:
        session.set_expiry(0)  # the cookie ends with the browser
