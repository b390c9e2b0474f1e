from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _

from portal.mail import CATALOG
from scholarships.models import Student

LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français")]


class Account(models.Model):
    """A student's portal account: the login (a Django user whose username is the email,
    lower-cased) and whether its email is confirmed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    email = models.EmailField(_("email"), max_length=150)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=LANGUAGE_CHOICES,
        default="en",
        help_text=_("Until a student record is claimed; then the record's language counts."),
    )
    confirmed_at = models.DateTimeField(_("email confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="portal_account_email_unique_ci",
                violation_error_message=_("An account already uses this email."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Invitation(models.Model):
    """A one-time link staff send a student: it creates the account, confirmed and already
    linked to the student record. Only a hash of the token is kept."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student")
    )
    email = models.EmailField(_("email"), max_length=150)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), editable=False)
    used_at = models.DateTimeField(_("used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("portal invitation")
        verbose_name_plural = _("portal invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.student} → {self.email}"


class ClaimAttempt(models.Model):
    """Every try to link an account to a student record, kept so staff can help (and so
    guessing is throttled)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="claims")
    status_no = models.CharField(_("status number given"), max_length=20)
    date_of_birth = models.DateField(_("date of birth given"))
    student = models.ForeignKey(
        Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    succeeded = models.BooleanField(_("succeeded"), default=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim attempt")
        verbose_name_plural = _("claim attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "created_at"], name="claim_account_when_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.status_no} ({'ok' if self.succeeded else 'refused'})"


class MailTemplate(models.Model):
    """One email, in one language: subject and plain-text body in Django template syntax.
    The variables each one may use are listed in ``portal.mail.CATALOG``."""

    code = models.CharField(
        _("email"), max_length=40, choices=[(code, spec.label) for code, spec in CATALOG.items()]
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["code", "language"]
        constraints = [
            models.UniqueConstraint(fields=["code", "language"], name="mail_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.language})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from portal.mail import template_problems

        problems = template_problems(code=self.code, subject=self.subject, body=self.body)
        if problems:
            raise ValidationError(problems)


class OutgoingEmail(models.Model):
    """Every email the platform sends, rendered when queued, sent after the commit, and
    retried with a growing delay until it goes or ``MAX_ATTEMPTS`` is reached."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        # Handed to the mail server, its answer not yet recorded: never sent again by
        # itself (at most once), in case the server took it before a worker died.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    MAX_ATTEMPTS = 5

    to = models.EmailField(_("to"))
    template_code = models.CharField(_("template"), max_length=40)
    language = models.CharField(_("language"), max_length=2)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    student = models.ForeignKey(
        Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="outgoing_email_due_idx",
            ),
            models.Index(
                fields=["student", "template_code", "created_at"],
                name="outgoing_email_student_idx",
            ),
            # How many emails of one kind an address got lately (mail_may_be_asked_for).
            models.Index(Upper("to"), "template_code", "created_at", name="outgoing_email_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]),
                name="outgoing_email_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_code} → {self.to} ({self.status})"


from portal.models_privacy import (  # noqa: E402, F401
    ConfidentialityIncident,
    CorrectionRequest,
    DataRequest,
    DestructionRecord,
    NoticeAcceptance,
    PrivacyAlert,
    RetentionRule,
)
