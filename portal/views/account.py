"""Signup, confirmation, login, password reset, claiming a record, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from avataq import sessions
from avataq.http import client_ip
from avataq.queue import publish_on_commit
from portal.forms import (
    ClaimForm,
    ConfirmForm,
    EmailLoginForm,
    InvitationForm,
    PortalPasswordResetForm,
    ResendForm,
    SignupForm,
)
from portal.permissions import confirmed_account_required
from portal.selectors import account_of
from portal.services import accounts
from portal.tasks import password_reset_send_task
from portal.views.public import set_language_cookie

NEUTRAL_CLAIM_REFUSAL = gettext_lazy(
    "We could not link your account to a student record with these details. The "
    "sponsorship team has been told and will contact you to help."
)
BACKEND = "django.contrib.auth.backends.ModelBackend"
SIGNUP_EMAIL = "portal_signup_email"  # session key: the address just signed up with


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.account_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                language=get_language(),
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            # The same next page whether the address was new or had an account already
            # (its owner got an email instead): signup tells nobody which.
            request.session[SIGNUP_EMAIL] = form.cleaned_data["email"].strip()
            return redirect("portal:unconfirmed")
    return render(request, "portal/signup.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def unconfirmed(request: HttpRequest) -> HttpResponse:
    """'Check your email', with a button for a new link (signed in) or a form (not)."""
    account = account_of(request.user) if request.user.is_authenticated else None
    if account is not None and account.is_confirmed:
        return redirect("portal:dashboard")
    signup_email = request.session.get(SIGNUP_EMAIL)
    form = ResendForm(request.POST or None, initial={"email": signup_email})
    context = {"form": form, "account": account, "signup_email": signup_email}
    if request.method == "POST":
        if account is not None:
            accounts.confirmation_resend(email=account.email)
        elif form.is_valid():
            accounts.confirmation_resend(email=form.cleaned_data["email"])
        else:
            return render(request, "portal/unconfirmed.html", context)
        messages.success(
            request,
            _("If an account with that email awaits confirmation, a new link is on its way."),
        )
        return redirect("portal:unconfirmed")
    return render(request, "portal/unconfirmed.html", context)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the confirmation email asks for the account's password, then
    confirms the email and signs in: the link proves the address, the password proves
    the person. Opening it (GET) changes nothing: mail scanners open links."""
    try:
        account = accounts.confirmation_account(token)
    except accounts.AccountError as exc:
        return render(request, "portal/confirm_failed.html", {"error": str(exc)}, status=400)
    form = ConfirmForm(request, request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.account_confirm(token=token, user=form.get_user())
        except accounts.AccountError as exc:
            return render(request, "portal/confirm_failed.html", {"error": str(exc)}, status=400)
        login(request, form.get_user())
        messages.success(request, _("Thank you: your email is confirmed."))
        return redirect("portal:dashboard")
    return render(request, "portal/confirm.html", {"form": form, "account": account})


@never_cache
@confirmed_account_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest) -> HttpResponse:
    if getattr(request.account.user, "student", None) is not None:
        return redirect("portal:dashboard")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            student = accounts.student_claim(
                account=request.account,
                status_no=form.cleaned_data["status_no"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                ip_address=client_ip(request),
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            if student is None:
                form.add_error(None, NEUTRAL_CLAIM_REFUSAL)
            else:
                messages.success(request, _("Welcome, %(name)s.") % {"name": student.first_name})
                response = redirect("portal:dashboard")
                set_language_cookie(response, student.language)
                return response
    return render(request, "portal/claim.html", {"form": form})


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = accounts.invitation_for(token)
    if invite is None:
        return render(
            request,
            "portal/confirm_failed.html",
            {"error": _("This invitation link is not valid any more. Ask staff for a new one.")},
            status=400,
        )
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.invitation_accept(
                token=token, password=form.cleaned_data["password1"]
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, account.user, backend=BACKEND)
            response = redirect("portal:dashboard")
            set_language_cookie(response, account.language)
            return response
    return render(request, "portal/invitation.html", {"form": form, "invitation": invite})


class LoginView(auth_views.LoginView):
    """Email and password; on success the student's language comes back with them."""

    form_class = EmailLoginForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: EmailLoginForm) -> HttpResponse:
        if form.cleaned_data.get("remember"):
            sessions.keep_signed_in(self.request)
        response = super().form_valid(form)
        student = getattr(form.get_user(), "student", None)
        if student is not None:
            set_language_cookie(response, student.language)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Validates the address and answers; a task looks the account up and sends the link,
    so the page does the same work, in the same time, for any address."""

    form_class = PortalPasswordResetForm
    template_name = "portal/password_reset.html"
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form: PortalPasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        # The broker down: the link is looked up and queued here instead (the outbox then
        # sends it) — slower for an address that has an account, but never lost.
        publish_on_commit(
            password_reset_send_task,
            email,
            fallback=lambda: accounts.password_reset_send(email=email),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        accounts.account_email_proven(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
