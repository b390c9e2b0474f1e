from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from portal import selectors
from portal.services.accounts import normalize_email
from portal.services.mail import absolute_url, mail_may_be_asked_for, mail_queue
from scholarships.models import Student


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt is about, as django-axes counts failures: the email,
    lower-cased, so ``Annie@…`` and ``annie@…`` are one account."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    return normalize_email(username) if username else None


class EmailLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email"),
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_username(self) -> str:
        return normalize_email(self.cleaned_data["username"])


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
    field_order = ["email", "password1", "password2"]


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


class ApplyStartForm(forms.Form):
    """Step one of an application: the session and the school (step two lists only that
    school's programs, so the page stays short and needs no JavaScript)."""

    session = forms.ModelChoiceField(label=_("Session"), queryset=None, empty_label=None)
    school = forms.ModelChoiceField(label=_("School"), queryset=None)

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = selectors.open_sessions(student)
        self.fields["session"].label_from_instance = lambda s: f"{s.code} — {s}"
        self.fields["school"].queryset = selectors.active_schools()
        self.fields["school"].label_from_instance = lambda s: f"{s.name} ({s.city})"


class ApplyForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)
    load = forms.ChoiceField(
        label=_("Load"), choices=Enrollment.Load.choices, widget=forms.RadioSelect
    )
    residence = forms.ChoiceField(
        label=_("Where you will live"), choices=Enrollment.Residence.choices,
        widget=forms.RadioSelect,
    )  # fmt: skip

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


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form (case-insensitive email, active users with a password), but
    the email is one of our mail templates, sent through the outbox."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        if not mail_may_be_asked_for(code="password_reset", to=to_email):
            return  # asked for again too soon: the page says the same, nothing is sent
        user = context["user"]
        student = Student.objects.filter(user=user).first()
        account = getattr(user, "portal_account", None)
        language = (student and student.language) or (account and account.language) or "en"
        path = reverse("portal:password_reset_confirm", args=[context["uid"], context["token"]])
        mail_queue(
            code="password_reset",
            to=to_email,
            language=language,
            context={
                "reset_url": absolute_url(path),
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            student=student,
        )
