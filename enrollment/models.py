from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from scholarships.models import Program, School, Session, Student

STATUSES = ["draft", "submitted", "approved", "active", "completed", "withdrawn", "refused"]


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
        _("credits"), max_digits=5, decimal_places=2, default=0,
        help_text=_("Credits (or course hours for vocational programs) taken this session."),
    )  # fmt: skip
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
