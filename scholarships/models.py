from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Substr
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from documents.models import DocumentType, S3DocumentMixin

# The status number becomes the first segment of every document's S3 key: digits only.
STATUS_NO_PATTERN = r"^[0-9]{1,12}$"
SCHOLAR_YEAR_PATTERN = r"^[0-9]{4}-[0-9]{4}$"
MAX_DEPENDANTS = 30

status_no_validator = RegexValidator(
    STATUS_NO_PATTERN, _("A status number is 1 to 12 digits, nothing else.")
)
scholar_year_code_validator = RegexValidator(
    SCHOLAR_YEAR_PATTERN, _("A scholar year code looks like 2025-2026.")
)


class Community(models.Model):
    class Coast(models.TextChoices):
        HUDSON = "hudson", _("Hudson coast")
        UNGAVA = "ungava", _("Ungava coast")

    name = models.CharField(_("name"), max_length=80, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    coast = models.CharField(_("coast"), max_length=10, choices=Coast.choices)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Student(models.Model):
    class MaritalStatus(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        COMMON_LAW = "common_law", _("Common-law")
        SEPARATED = "separated", _("Separated")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")

    status_no = models.CharField(
        _("status number"), max_length=12, unique=True, validators=[status_no_validator]
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="students", verbose_name=_("community")
    )
    marital_status = models.CharField(
        _("marital status"),
        max_length=12,
        choices=MaritalStatus.choices,
        default=MaritalStatus.SINGLE,
    )
    dependants = models.PositiveSmallIntegerField(
        _("dependants"), default=0, validators=[MaxValueValidator(MAX_DEPENDANTS)]
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student",
        verbose_name=_("portal account"),
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counselled_students",
        verbose_name=_("counsellor"),
        limit_choices_to={"is_staff": True},
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of the portal and of every email and PDF the student gets."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "status_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status_no__regex=STATUS_NO_PATTERN), name="student_status_no_digits"
            ),
            models.CheckConstraint(
                condition=Q(dependants__lte=MAX_DEPENDANTS), name="student_dependants_sane"
            ),
        ]
        indexes = [models.Index(fields=["last_name", "first_name"], name="student_name_idx")]
        permissions = [
            # Granted per student (django-guardian) to the student's counsellor: the
            # students a user without ``access_all_students`` may see and work on.
            ("view_student_documents", _("Can see this student's file and documents")),
            ("access_all_students", _("Can work on every student, not only assigned ones")),
            ("assign_student", _("Can assign a student's counsellor and portal account")),
            ("view_date_of_birth", _("Can see students' dates of birth")),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.status_no})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class School(models.Model):
    class Kind(models.TextChoices):
        CEGEP = "cegep", _("CEGEP")
        UNIVERSITY = "university", _("University")
        VOCATIONAL = "vocational", _("Vocational training centre")
        ADULT_EDUCATION = "adult_education", _("Adult education")
        OTHER = "other", _("Other")

    class Province(models.TextChoices):
        QC = "QC", "Québec"
        ON = "ON", "Ontario"
        NL = "NL", "Newfoundland and Labrador"
        NS = "NS", "Nova Scotia"
        NB = "NB", "New Brunswick"
        PE = "PE", "Prince Edward Island"
        MB = "MB", "Manitoba"
        SK = "SK", "Saskatchewan"
        AB = "AB", "Alberta"
        BC = "BC", "British Columbia"
        NU = "NU", "Nunavut"
        NT = "NT", "Northwest Territories"
        YT = "YT", "Yukon"

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    city = models.CharField(_("city"), max_length=100)
    province = models.CharField(
        _("province"), max_length=2, choices=Province.choices, default=Province.QC
    )
    billing_email = models.EmailField(_("billing email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    class Level(models.TextChoices):
        SECONDARY = "secondary", _("Secondary (adult education)")
        VOCATIONAL = "vocational", _("Vocational diploma (DEP)")
        COLLEGE_PREUNIVERSITY = "dec_pre", _("College, pre-university (DEC)")
        COLLEGE_TECHNICAL = "dec_tech", _("College, technical (DEC)")
        COLLEGE_ATTESTATION = "aec", _("College attestation (AEC)")
        CERTIFICATE = "certificate", _("University certificate")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master")
        DOCTORATE = "doctorate", _("Doctorate")
        OTHER = "other", _("Other")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="programs", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["school__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="program_unique_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class ScholarYear(models.Model):
    code = models.CharField(
        _("code"),
        max_length=9,
        unique=True,
        validators=[scholar_year_code_validator],
        help_text=_("Two consecutive years, e.g. 2025-2026."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_current = models.BooleanField(_("current"), default=False)
    is_closed = models.BooleanField(
        _("closed"), default=False, help_text=_("A closed year takes no new enrollments.")
    )

    class Meta:
        verbose_name = _("scholar year")
        verbose_name_plural = _("scholar years")
        ordering = ["-code"]
        constraints = [
            # CASE guards the casts: PostgreSQL does not promise to evaluate AND in order.
            models.CheckConstraint(
                condition=models.Case(
                    models.When(
                        code__regex=SCHOLAR_YEAR_PATTERN,
                        then=Exact(
                            Cast(Substr("code", 6, 4), models.IntegerField()),
                            Cast(Substr("code", 1, 4), models.IntegerField()) + 1,
                        ),
                    ),
                    default=models.Value(False),
                    output_field=models.BooleanField(),
                ),
                name="scholar_year_code_consecutive_years",
                violation_error_message=_(
                    "A scholar year code is two consecutive years, e.g. 2025-2026."
                ),
            ),
            models.CheckConstraint(
                condition=Q(start_date__lt=models.F("end_date")),
                name="scholar_year_starts_before_it_ends",
                violation_error_message=_("A scholar year must start before it ends."),
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="scholar_year_one_current",
                violation_error_message=_("Another scholar year is already current."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        super().clean()
        if self.pk and self.start_date and self.end_date:
            outside = self.sessions.filter(
                Q(start_date__lt=self.start_date) | Q(end_date__gt=self.end_date)
            )
            if outside.exists():
                raise ValidationError(
                    _("These dates would leave sessions outside the year: %(sessions)s.")
                    % {"sessions": ", ".join(s.get_term_display() for s in outside)}
                )


class Session(models.Model):
    class Term(models.TextChoices):
        FALL = "fall", _("Fall")
        WINTER = "winter", _("Winter")
        SUMMER = "summer", _("Summer")

    scholar_year = models.ForeignKey(
        ScholarYear,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("scholar year"),
    )
    term = models.CharField(_("term"), max_length=6, choices=Term.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    application_deadline = models.DateField(_("application deadline"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["scholar_year", "term"],
                name="session_unique_term_per_year",
                violation_error_message=_("This scholar year already has a session for that term."),
            ),
            models.CheckConstraint(
                condition=Q(start_date__lt=models.F("end_date")),
                name="session_starts_before_it_ends",
                violation_error_message=_("A session must start before it ends."),
            ),
            models.CheckConstraint(
                condition=Q(application_deadline__isnull=True)
                | Q(application_deadline__lte=models.F("start_date")),
                name="session_deadline_not_after_start",
                violation_error_message=_("The application deadline cannot be after the start."),
            ),
        ]
        # "Dates inside the scholar year" spans two tables: enforced by the trigger in
        # migration 0002, and by clean() for a readable form error.

    def __str__(self) -> str:
        # From the row itself (no join): "Fall 2025", "Winter 2026".
        return f"{self.get_term_display()} {self.start_date.year}"

    def clean(self) -> None:
        super().clean()
        year = self.scholar_year if self.scholar_year_id else None
        if (
            year
            and self.start_date
            and self.end_date
            and (self.start_date < year.start_date or self.end_date > year.end_date)
        ):
            raise ValidationError(
                _("A session's dates must lie inside its scholar year (%(start)s to %(end)s).")
                % {"start": year.start_date, "end": year.end_date}
            )

    @property
    def code(self) -> str:
        """Short code such as ``2025F`` (used in payment references and document keys)."""
        return f"{self.start_date.year}{self.term[0].upper()}"


# Direct foreign-key object permissions: guardian's generic tables would make "which
# students may this user see" a scan over text object ids.
class StudentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Student, on_delete=models.CASCADE)


class StudentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Student, on_delete=models.CASCADE)


class StudentDocument(S3DocumentMixin):
    """A document of the student's own file: identity, beneficiary card, direct deposit…"""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="documents", verbose_name=_("student")
    )
    scholar_year = models.ForeignKey(
        ScholarYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("scholar year")
    )
    document_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"applies_to": "student"},
        verbose_name=_("document type"),
    )

    class Meta:
        verbose_name = _("student document")
        verbose_name_plural = _("student documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.key or f"{self.document_type} — {self.student}"

    def document_student(self) -> Student:
        return self.student

    def document_scholar_year(self) -> str:
        return self.scholar_year.code

    def document_type_code(self) -> str:
        return self.document_type.code


class StudentRecordAccess(models.Model):
    """Who opened a student's record in the admin (its page, its history), when, from
    where: with the document downloads (``documents.DocumentAccess``), the "who looked at
    my file" log a student may ask for."""

    class View(models.TextChoices):
        RECORD = "record", _("Record page")
        HISTORY = "history", _("History")

    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="record_accesses",
        verbose_name=_("student"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    view = models.CharField(_("what"), max_length=10, choices=View.choices, default=View.RECORD)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accessed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("student record access")
        verbose_name_plural = _("student record accesses")
        ordering = ["-accessed_at"]
        indexes = [
            models.Index(fields=["user", "accessed_at"], name="record_access_user_when_idx"),
            models.Index(fields=["student", "accessed_at"], name="record_access_student_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.student_id} ({self.view})"
