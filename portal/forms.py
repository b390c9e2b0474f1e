from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from portal import selectors
from portal.models import Account
from portal.services.accounts import normalize_email
from scholarships.models import Session, Student


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt is about, as django-axes counts failures: the email,
    lower-cased, so ``Annie@…`` and ``annie@…`` are one account."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    return normalize_email(username) if username else None


def _awaits_confirmation(username: str) -> bool:
    return Account.objects.filter(user__username=username, confirmed_at__isnull=True).exists()


class EmailLoginForm(AuthenticationForm):
    """Email and password. An account whose email is not confirmed yet is refused exactly
    like a wrong password (same message, same failure counted by django-axes, same
    work): otherwise signing up, then signing in with the password just chosen, would
    tell whether the address already had an account (its owner's password refuses)."""

    username = forms.CharField(
        label=_("Email"),
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    remember = forms.BooleanField(
        label=_("Keep me signed in on this device"),
        required=False,
        help_text=_(
            "Only on your own phone or computer. On a shared computer, leave it unticked: "
            "you are signed out when the browser closes."
        ),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "This email and password do not open an account. If you have just signed up, "
            "first confirm your email with the link we sent you."
        ),
    }
    awaits_confirmation = False

    def clean_username(self) -> str:
        return normalize_email(self.cleaned_data["username"])

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        # Looked up before the password is checked, whatever comes of it, so that a
        # refused unconfirmed account costs the same time as a wrong password.
        self.awaits_confirmation = bool(username) and _awaits_confirmation(username)
        return super().clean()

    def confirm_login_allowed(self, user: AbstractBaseUser) -> None:
        super().confirm_login_allowed(user)
        if self.awaits_confirmation:
            # What authenticate() sends for a wrong password: django-axes counts it.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise self.get_invalid_login_error()


class ConfirmForm(forms.Form):
    """The password of the account a confirmation link was made for: the link proves the
    address, the password proves the person."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, request: HttpRequest, *args: Any, account: Account, **kwargs: Any) -> None:
        self.request, self.account, self.user_cache = request, account, None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        password = self.cleaned_data.get("password")
        if password:
            # authenticate() with the request: django-axes counts a wrong password here
            # as a failed sign-in, and refuses a locked-out account or address.
            user = authenticate(
                self.request, username=self.account.user.get_username(), password=password
            )
            if user is None or user.pk != self.account.user_id:
                raise forms.ValidationError(
                    _("This is not the password of this account."), code="invalid_login"
                )
            self.user_cache = user
        return self.cleaned_data

    def get_user(self) -> AbstractBaseUser | None:
        return self.user_cache


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords are not the same."))
        return second


class SignupForm(PasswordPairMixin):
    email = forms.EmailField(
        label=_("Email"), max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    accept_notice = forms.BooleanField(
        label=_("I have read the privacy notice and I accept it."),
        error_messages={"required": _("Tick the box to accept the privacy notice.")},
    )
    field_order = ["email", "password1", "password2", "accept_notice"]


class InvitationForm(PasswordPairMixin):
    pass


class ResendForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ClaimForm(forms.Form):
    status_no = forms.CharField(
        label=_("Beneficiary (status) number"),
        max_length=20,
        help_text=_("The number on your beneficiary card."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("Year-month-day, for example 2004-03-14."),
    )


def session_label(session: Session) -> str:
    """The session and its dates, in the active language: "Winter 2027 (Jan. 6, 2027 to
    May 5, 2027)"."""
    return gettext("%(session)s (%(start)s to %(end)s)") % {
        "session": session,
        "start": date_format(session.start_date, "DATE_FORMAT"),
        "end": date_format(session.end_date, "DATE_FORMAT"),
    }


class ApplyStartForm(forms.Form):
    """Step one of an application: the session and the school (step two lists only that
    school's programs, so the page stays short and needs no JavaScript)."""

    session = forms.ModelChoiceField(label=_("Session"), queryset=None, empty_label=None)
    school = forms.ModelChoiceField(label=_("School"), queryset=None)

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = selectors.open_sessions(student)
        self.fields["session"].label_from_instance = session_label
        self.fields["school"].queryset = selectors.active_schools()
        self.fields["school"].label_from_instance = lambda s: f"{s.name} ({s.city})"


class ApplyForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)
    load = forms.ChoiceField(
        label=_("Load"), choices=Enrollment.Load.choices, widget=forms.RadioSelect
    )
    residence = forms.ChoiceField(
        label=_("Where you will live"),
        choices=Enrollment.Residence.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = selectors.programs_of(school)


class UploadForm(forms.Form):
    # What a phone offers to pick (the documents app checks the content itself).
    ACCEPT = ".pdf,.jpg,.jpeg,.png,.heic,application/pdf,image/*"

    file = forms.FileField(
        label=_("File (PDF, JPEG, PNG or HEIC)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class PortalPasswordResetForm(forms.Form):
    """The email to send a reset link to. The link itself goes out from a task, after the
    page has answered (``password_reset_send``)."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


def _digits_input(size: int) -> forms.TextInput:
    return forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": size + 4}
    )


class DirectDepositForm(forms.Form):
    """A student's own account, for their allowances: checked as staff's entry is, the
    account number typed twice (a slip would send the money elsewhere)."""

    holder_name = forms.CharField(label=_("Account holder's name"), max_length=100)
    institution = forms.CharField(
        label=_("Institution number"),
        max_length=7,
        widget=_digits_input(3),
        help_text=_("3 digits, on a void cheque or in your bank's app."),
    )
    transit = forms.CharField(
        label=_("Transit number"),
        max_length=9,
        widget=_digits_input(5),
        help_text=_("5 digits: your branch."),
    )
    account = forms.CharField(
        label=_("Account number"),
        max_length=16,
        widget=_digits_input(12),
        help_text=_("7 to 12 digits."),
    )
    account_again = forms.CharField(
        label=_("Account number again"), max_length=16, widget=_digits_input(12)
    )

    def clean(self) -> dict[str, Any]:
        from billing.payments.bank_details import bank_details_clean
        from billing.payments.errors import BankDetailsInvalid

        data = super().clean()
        if self.errors:
            return data
        if data["account"].replace(" ", "") != data["account_again"].replace(" ", ""):
            self.add_error("account_again", _("The two account numbers differ."))
            return data
        try:
            bank_details_clean(
                for_student=True,
                holder_name=data["holder_name"],
                institution=data["institution"],
                transit=data["transit"],
                account=data["account"],
            )
        except BankDetailsInvalid as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class NoticeForm(forms.Form):
    """The privacy notice, accepted with a box ticked on purpose (never pre-ticked)."""

    accept = forms.BooleanField(
        label=_("I have read the privacy notice and I accept it."),
        error_messages={"required": _("Tick the box to accept the privacy notice.")},
    )


class CorrectionForm(forms.Form):
    """A student asks for a field of their record to be corrected."""

    field = forms.ChoiceField(label=_("What is wrong"))
    proposed_value = forms.CharField(label=_("The correct value"), max_length=200)
    explanation = forms.CharField(
        label=_("Explanation (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from portal.models import CorrectionRequest

        super().__init__(*args, **kwargs)
        self.fields["field"].choices = CorrectionRequest.Field.choices
