"""Privacy (Quebec's private-sector privacy law): a student's requests (access, data
portability, correction…), the notice they accepted, alerts to the privacy officer, the
retention schedule and what it destroyed, and the confidentiality incident register.

Imported by ``portal.models``: these are the portal app's models (the portal is the app
that may read everything a student's export holds)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scholarships.models import Student

# The law's deadline to answer a written request.
ANSWER_WITHIN = dt.timedelta(days=30)


class DataRequest(models.Model):
    """A request a person made about their information: received (from the portal or in
    writing), answered within 30 days, by whom."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of my information)")
        PORTABILITY = "portability", _("Data portability (a structured file)")
        CORRECTION = "correction", _("Correction")
        DELETION = "deletion", _("Deletion or de-indexing")
        WITHDRAW_CONSENT = "consent", _("Withdrawal of consent")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        WRITTEN = "written", _("In writing (mail, email)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("student")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channel = models.CharField(
        _("received by"), max_length=8, choices=Channel.choices, default=Channel.WRITTEN
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_on = models.DateField(_("answer due by"), editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN, editable=False
    )
    details = models.TextField(_("details"), blank=True)
    answer = models.TextField(_("answer given"), blank=True, editable=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # The export (a ZIP) under its deterministic key, once built.
    export_key = models.CharField(_("export"), max_length=300, blank=True, editable=False)
    export_built_at = models.DateTimeField(_("export built"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("received_on")),
                name="data_request_due_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.student} ({self.received_on})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.received_on and not self.due_on:
            self.due_on = self.received_on + ANSWER_WITHIN
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_late(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class CorrectionRequest(models.Model):
    """A student's request to correct a field of their record: accepted (applied through
    the student's update service, the history keeps the old and the new value) or refused
    with a reason the student reads."""

    class Field(models.TextChoices):
        FIRST_NAME = "first_name", _("First name")
        LAST_NAME = "last_name", _("Last name")
        DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        MARITAL_STATUS = "marital_status", _("Marital status")
        DEPENDANTS = "dependants", _("Dependants")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Corrected")
        REFUSED = "refused", _("Refused")

    student = models.ForeignKey(
        Student,
        on_delete=models.PROTECT,
        related_name="correction_requests",
        verbose_name=_("student"),
    )
    request = models.OneToOneField(
        DataRequest,
        on_delete=models.PROTECT,
        related_name="correction",
        verbose_name=_("privacy request"),
        editable=False,
    )
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    current_value = models.CharField(_("value on file"), max_length=200, blank=True)
    proposed_value = models.CharField(_("proposed value"), max_length=200)
    explanation = models.TextField(_("explanation"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING, editable=False
    )
    reason = models.TextField(_("reason for refusal"), blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(reason=""),
                name="correction_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.proposed_value} ({self.student})"


class NoticeAcceptance(models.Model):
    """A portal account accepted a version of the privacy notice, then."""

    account = models.ForeignKey(
        "portal.Account", on_delete=models.CASCADE, related_name="notice_acceptances"
    )
    version = models.CharField(_("notice version"), max_length=20)
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)

    class Meta:
        verbose_name = _("privacy notice acceptance")
        verbose_name_plural = _("privacy notice acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "version"], name="notice_accepted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.version}"


class PrivacyAlert(models.Model):
    """The privacy officer was told that ``user`` opened more student files on ``day``
    than usual: once per user per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    files = models.PositiveIntegerField(_("student files opened"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("privacy alert")
        verbose_name_plural = _("privacy alerts")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="privacy_alert_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.day}: {self.files}"


class RetentionRule(models.Model):
    """How long one kind of information is kept, counted from the event the kind names."""

    class Kind(models.TextChoices):
        DOCUMENTS = "documents", _("Student documents and identity, after the last enrollment ends")
        NEVER_ENROLLED = "never_enrolled", _("Applicants never enrolled, after their last activity")
        BANK_DETAILS = "bank_details", _("Bank details, after the last payment")
        LOGS = "logs", _("Access logs and sent emails, after they were written")

    kind = models.CharField(
        _("kind of information"), max_length=20, choices=Kind.choices, unique=True
    )
    years = models.PositiveSmallIntegerField(_("kept for (years)"))
    is_active = models.BooleanField(
        _("applied"), default=True, help_text=_("The nightly sweep lists what this rule makes due.")
    )
    notes = models.TextField(_("why this period"), blank=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention schedule")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(years__gte=1), name="retention_at_least_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.years}"


class DestructionRecord(models.Model):
    """What the retention schedule destroyed or anonymised, when, under which rule, and who
    confirmed it. Names nobody: the student by their record's id only."""

    kind = models.CharField(_("rule"), max_length=20, choices=RetentionRule.Kind.choices)
    years = models.PositiveSmallIntegerField(_("period applied (years)"))
    student_id_ref = models.BigIntegerField(_("student record id"), null=True, blank=True)
    what = models.TextField(_("what was destroyed or anonymised"))
    counts = models.JSONField(_("counts"), default=dict)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    destroyed_at = models.DateTimeField(_("destroyed"), default=timezone.now)

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")
        ordering = ["-destroyed_at"]
        permissions = [
            ("confirm_destruction", _("Can review what is due and confirm its destruction")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.student_id_ref} {self.destroyed_at:%Y-%m-%d}"


class ConfidentialityIncident(models.Model):
    """The register of confidentiality incidents the law requires: what happened, whose
    information, the risk of serious injury, and who was told when."""

    class Risk(models.TextChoices):
        LOW = "low", _("Low: no risk of serious injury")
        SERIOUS = "serious", _("Risk of serious injury")

    occurred_on = models.DateField(_("occurred on"), null=True, blank=True)
    discovered_on = models.DateField(_("discovered on"), default=timezone.localdate)
    nature = models.TextField(
        _("nature of the incident"),
        help_text=_("Unauthorized access, use, communication, or loss of information."),
    )
    information = models.TextField(_("information concerned"))
    students = models.ManyToManyField(
        Student, related_name="+", blank=True, verbose_name=_("people concerned")
    )
    people_count = models.PositiveIntegerField(
        _("number of people concerned"),
        default=0,
        help_text=_("When not every person can be named from the records."),
    )
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices)
    risk_assessment = models.TextField(
        _("risk assessment"),
        help_text=_("Sensitivity of the information, foreseeable uses, consequences."),
    )
    measures = models.TextField(_("measures taken"), blank=True)
    regulator_notified_on = models.DateField(
        _("Commission d'accès à l'information notified on"), null=True, blank=True
    )
    people_notified_on = models.DateField(_("people concerned notified on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        editable=False,
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("confidentiality incident")
        verbose_name_plural = _("confidentiality incidents")
        ordering = ["-discovered_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_on__isnull=True)
                | Q(occurred_on__lte=models.F("discovered_on")),
                name="incident_occurred_before_discovered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.discovered_on}: {self.nature[:60]}"
