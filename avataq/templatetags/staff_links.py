"""``{% staff_links as links %}``: the staff screens outside the admin that the signed-in
user may open (the finance screens, the document explorer), for the admin's header. Each
link is shown only to those its screen lets in: the screens' own checks decide."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.translation import gettext

register = template.Library()


@dataclass(frozen=True)
class StaffLink:
    label: str
    url: str


@register.simple_tag(takes_context=True)
def staff_links(context: template.Context) -> list[StaffLink]:
    from billing.views import FINANCE  # what the finance screens require
    from documents.permissions import explorer_open_to

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    links = []
    if user.has_perm(FINANCE):
        links.append(StaffLink(gettext("Finance"), reverse("finance:home")))
    if explorer_open_to(user):
        links.append(StaffLink(gettext("Document explorer"), reverse("documents:explorer")))
    return links
