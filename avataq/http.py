"""Who is asking (the client's address, as far as the deployment can know it), and what
may be kept of the answer."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address. Behind ``TRUSTED_PROXY_COUNT`` proxies, each of which
    appends the address it received from to ``X-Forwarded-For``, that is the entry this
    many places from the right; every entry left of it is whatever the client sent, so it
    is never read. With no trusted proxy, or a header too short, ``REMOTE_ADDR``.

    Written here rather than taken from django-ipware: its ``proxy_count`` expects the
    proxies' own addresses in the header, so for one proxy that appends the client it
    answers with the left-most entry — the one a client can forge."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR") or None


# Pages that only a signed-in user ever sees, whoever asks (a redirect to the login page
# from there is private too: it names the page).
PRIVATE_PREFIXES = ("/admin/", "/finance/", "/documents/", "/my/", "/api/", "/account/")


class NoStoreMiddleware:
    """No browser or proxy keeps a copy of a private page: every response to a signed-in
    user, and every response under a private prefix, says ``Cache-Control: no-store``.
    (A shared community computer's back button must not show the last student's file.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or request.path.startswith(PRIVATE_PREFIXES):
            patch_cache_control(response, no_store=True, private=True)
        return response
