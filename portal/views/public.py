"""The public pages: what the program offers, how to apply, contact, questions; and the
language switch every page carries."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from portal import selectors
from portal.forms import LanguageForm
from portal.services.accounts import language_set


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"sessions": selectors.upcoming_deadlines()})


@require_GET
def how_to_apply(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/how_to_apply.html")


@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/contact.html",
        {"email": settings.PORTAL_CONTACT_EMAIL, "phone": settings.PORTAL_CONTACT_PHONE},
    )


@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/faq.html", {"email": settings.PORTAL_CONTACT_EMAIL})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Switch language (a form, no JavaScript): a cookie for every visitor, and the
    student's record remembers it."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if form.is_valid():
        code = form.cleaned_data["language"]
        if request.user.is_authenticated:
            language_set(user=request.user, language=code)
        set_language_cookie(response, code)
    return response


def set_language_cookie(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 60 * 60,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
