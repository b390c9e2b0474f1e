"""Who is asking: the client's address, as far as the deployment can know it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


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
