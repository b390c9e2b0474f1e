from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from documents.models import DocumentType, S3DocumentMixin
from scholarships.models import Program, School, Session, Student

STATUSES = ["draft", "submitted", "approved", "active", "completed", "withdrawn", "refused"]


class AuditHistory(HistoricalRecords):
    """django-simple-history's record of every change (who, when, each field), whose rows
    need no permissions of their own: the admin shows a record's history to whoever may
    see the record, so the permission table (``avataq.roles``) has nothing to declare."""

    def get_meta_options(self, model: type[models.Model]) -> dict:
        return {**super().get_meta_options(model), "default_permissions": ()}


class Enrollment(models.Model):
    """A student's inscription at a school and program for one session."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REFUSED = "refused", _("Refused")

    class Load(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time")
        PART_TIME = "part_time", _("Part-time")

    class Residence(models.TextChoices):
        HOME_COMMUNITY = "home", _("In the home community")
        ON_CAMPUS = "on_campus", _("Away, in a campus residence")
        OFF_CAMPUS = "off_campus", _("Away, off campus")

    # An enrollment in one of these no longer counts: another may be made for the session.
    CLOSED_STATUSES = (Status.WITHDRAWN, Status.REFUSED)
    # Its details (school, program, load…) may still change: not decided yet.
    EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED)
    # Under way or about to be: the student's current business.
    LIVE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ACTIVE)
    # Sent and not over: its documents are still awaited (reminders).
    AWAITING_STATUSES = (Status.SUBMITTED, Status.APPROVED, Status.ACTIVE)
    # A computing sheet is made for these only.
    COMPUTABLE_STATUSES = (Status.APPROVED, Status.ACTIVE)

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("student")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("session")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("school")
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("program")
    )
    load = models.CharField(_("load"), max_length=10, choices=Load.choices)
    credits = models.DecimalField(
        _("credits"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("Credits (or course hours for vocational programs) taken this session."),
    )
    residence = models.CharField(
        _("residence"), max_length=12, choices=Residence.choices, default=Residence.OFF_CAMPUS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True, editable=False)
    status_reason = models.TextField(
        _("reason"), blank=True, editable=False, help_text=_("Why it was refused or withdrawn.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        # Newest first, from the primary key's index: ordering by a joined column would
        # sort every enrollment on each admin page.
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "session"],
                condition=~Q(status__in=["withdrawn", "refused"]),
                name="enrollment_one_live_per_student_session",
                violation_error_message=_(
                    "This student already has a live enrollment for this session."
                ),
            ),
            models.CheckConstraint(
                condition=Q(credits__gte=0), name="enrollment_credits_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=STATUSES), name="enrollment_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_on__isnull=False),
                name="enrollment_withdrawn_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "session"], name="enrollment_status_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.session} — {self.school.code}"

    def clean(self) -> None:
        super().clean()
        if self.program_id and self.school_id and self.program.school_id != self.school_id:
            raise ValidationError({"program": _("This program is not offered by that school.")})

    @property
    def is_live(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    @property
    def takes_documents(self) -> bool:
        """Still under way: a completed, withdrawn or refused enrollment takes none."""
        return self.is_live and self.status != self.Status.COMPLETED


class EnrollmentDocument(S3DocumentMixin):
    """A document about one enrollment: proof of enrollment, transcript, schedule…"""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="documents", verbose_name=_("enrollment")
    )
    document_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"applies_to": "enrollment"},
        verbose_name=_("document type"),
    )

    class Meta:
        verbose_name = _("enrollment document")
        verbose_name_plural = _("enrollment documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.key or f"{self.document_type} — {self.enrollment}"

    def document_student(self) -> Student:
        return self.enrollment.student

    def document_scholar_year(self) -> str:
        return self.enrollment.session.scholar_year.code

    def document_type_code(self) -> str:
        return self.document_type.code

    def document_qualifier(self) -> str:
        # A type can come once per session: proof-of-enrollment-fall.pdf
        return self.enrollment.session.term

    def document_school(self) -> School:
        return self.enrollment.school


class RequiredDocument(models.Model):
    """A document type enrollments must provide: all of them, or only those at a kind of
    school, or with a given load."""

    document_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"applies_to": "enrollment"},
        verbose_name=_("document type"),
    )
    school_kind = models.CharField(
        _("only for schools of kind"), max_length=20, choices=School.Kind.choices, blank=True
    )
    load = models.CharField(
        _("only for load"), max_length=10, choices=Enrollment.Load.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["document_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "school_kind", "load"], name="required_document_unique"
            ),
        ]

    def __str__(self) -> str:
        scope = " / ".join(filter(None, [self.get_school_kind_display(), self.get_load_display()]))
        return f"{self.document_type} ({scope or _('all enrollments')})"

    def applies_to(self, enrollment: Enrollment) -> bool:
        return (not self.school_kind or self.school_kind == enrollment.school.kind) and (
            not self.load or self.load == enrollment.load
        )


class ChecklistItem(models.Model):
    # A document's statuses, worded for a document (French agrees: « refusé », where an
    # enrollment is « refusée »): their own context, never the enrollment's words.
    class Status(models.TextChoices):
        MISSING = "missing", pgettext_lazy("document", "Missing")
        RECEIVED = "received", pgettext_lazy("document", "Received")
        ACCEPTED = "accepted", pgettext_lazy("document", "Accepted")
        REFUSED = "refused", pgettext_lazy("document", "Refused")

    # The student still owes a document (none yet, or one refused).
    OPEN_STATUSES = (Status.MISSING, Status.REFUSED)
    # The student may send one (again): not yet accepted.
    UPLOADABLE_STATUSES = (Status.MISSING, Status.REFUSED, Status.RECEIVED)

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("enrollment")
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("document type")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MISSING
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was refused."))
    document = models.ForeignKey(
        EnrollmentDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Each upload and review, with who did it: the admin's History of the item.
    history = AuditHistory()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["enrollment", "document_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "document_type"], name="checklist_item_unique_per_type"
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(reason=""), name="checklist_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="missing") | Q(document__isnull=False),
                name="checklist_received_has_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}: {self.get_status_display()}"
