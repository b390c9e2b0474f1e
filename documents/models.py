"""Documents: the S3 mixin the uploader models inherit, the index the explorer reads,
access records, API keys. Other apps are named by string only: this module imports none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from documents.storage import document_storage

if TYPE_CHECKING:
    from scholarships.models import School, Student


class DocumentType(models.Model):
    class AppliesTo(models.TextChoices):
        STUDENT = "student", _("Student file")
        ENROLLMENT = "enrollment", _("Enrollment")
        INVOICE = "invoice", _("School invoice")

    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("Used in storage keys, e.g. proof-of-enrollment. Never change it once used."),
    )
    name = models.CharField(_("name"), max_length=120)
    name_fr = models.CharField(_("name in French"), max_length=120, blank=True)
    applies_to = models.CharField(_("applies to"), max_length=12, choices=AppliesTo.choices)
    shown_to_student = models.BooleanField(
        _("shown to the student"),
        default=True,
        help_text=_(
            "The student may download their own documents of this type in the portal. "
            "Never for a type that concerns several students (a school invoice)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["applies_to", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(applies_to="invoice", shown_to_student=True),
                name="doctype_invoice_never_shown_to_student",
                violation_error_message=_(
                    "A school invoice concerns several students: it is never shown to one."
                ),
            ),
        ]

    def __str__(self) -> str:
        # Wherever a type is named (checklists, filters, pickers), in the reader's language.
        return self.label()

    def label(self, language: str | None = None) -> str:
        """The name in ``language`` (default: the active one), English when none is set."""
        language = language or get_language() or "en"
        return self.name_fr if language.startswith("fr") and self.name_fr else self.name


class S3DocumentMixin(models.Model):
    """A file kept in the documents storage under a deterministic key.

    The inheritor only describes itself, by overriding the ``document_*`` methods (which
    student, which scholar year, which type, which qualifier); ``documents.services``
    generates the key, streams the upload, and upserts the :class:`DocumentIndex` row
    after the transaction commits.

    A document whose subject is one student alone says so with ``document_student()``
    and is filed in that student's folder; a document about a school (and possibly
    several of its students) returns ``None`` there and its school from
    ``document_school()``: it is filed under the school, never in a student's folder.
    """

    file = models.FileField(
        _("file"), storage=document_storage, max_length=512, editable=False, unique=True
    )
    original_filename = models.CharField(_("original file name"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.BigIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    # --- what the inheritor says about itself -------------------------------------------
    def document_student(self) -> Student | None:
        """The one student this document is about; ``None`` for a school's document."""
        raise NotImplementedError

    def document_scholar_year(self) -> str:
        """The scholar year code, e.g. ``2025-2026``."""
        raise NotImplementedError

    def document_type_code(self) -> str:
        raise NotImplementedError

    def document_qualifier(self) -> str:
        """Set when the type can occur more than once a year (a session, an invoice no.)."""
        return ""

    def document_school(self) -> School | None:
        return None

    # ------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self.file.name or ""


class DocumentIndex(models.Model):
    """One row per stored object: what the explorer lists and downloads go through."""

    class Subject(models.TextChoices):
        STUDENT = "student", _("One student")
        SCHOOL = "school", _("A school")

    subject = models.CharField(
        _("about"), max_length=8, choices=Subject.choices, default=Subject.STUDENT
    )
    student = models.ForeignKey(
        "scholarships.Student",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indexed_documents",
        verbose_name=_("student"),
    )
    student_reference = models.CharField(_("status number"), max_length=12, blank=True)
    scholar_year = models.CharField(_("scholar year"), max_length=9)
    category = models.SlugField(_("category"), max_length=60)
    school = models.ForeignKey(
        "scholarships.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    s3_key = models.CharField(_("key"), max_length=512, unique=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    source_model = models.CharField(_("source"), max_length=100)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    created_at = models.DateTimeField(_("first indexed"), auto_now_add=True)
    indexed_at = models.DateTimeField(_("indexed"), auto_now=True)

    class Meta:
        verbose_name = _("indexed document")
        verbose_name_plural = _("document index")
        ordering = ["-pk"]
        permissions = [
            (
                "can_view_documents",
                _("Can open the document explorer and download any student's document"),
            ),
            (
                "can_view_school_documents",
                _("Can see and download school documents (invoices listing several students)"),
            ),
        ]
        indexes = [
            models.Index(fields=["scholar_year", "category"], name="docindex_year_category_idx"),
            models.Index(fields=["student_reference"], name="docindex_student_ref_idx"),
            models.Index(fields=["category"], name="docindex_category_idx"),
            models.Index(fields=["source_model", "source_id"], name="docindex_source_idx"),
        ]
        # The explorer's search (icontains is UPPER(filename) LIKE …) has a trigram index
        # on that expression: migration 0003, in SQL, as Django's OpClass renders the
        # expression without the parentheses PostgreSQL needs.
        # A student's document sits in that student's folder; a school's document has no
        # student and sits under schools/: no document about several students can ever be
        # in one student's folder, or be served as theirs.
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        subject="student",
                        student__isnull=False,
                        s3_key__startswith=Concat(
                            F("student_reference"), Value("/"), F("scholar_year"), Value("/")
                        ),
                    )
                    | Q(
                        subject="school",
                        student__isnull=True,
                        student_reference="",
                        school__isnull=False,
                        s3_key__startswith="schools/",
                    )
                ),
                name="docindex_key_in_its_subjects_folder",
            ),
        ]

    def __str__(self) -> str:
        return self.s3_key


class DocumentVersion(models.Model):
    """The content a deliberate replacement overwrote: an S3 version, or an archive copy."""

    document = models.ForeignKey(
        DocumentIndex, on_delete=models.CASCADE, related_name="prior_versions"
    )
    version_id = models.CharField(_("S3 version id"), max_length=1024, blank=True)
    archive_key = models.CharField(_("archive key"), max_length=512, blank=True)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("prior version")
        verbose_name_plural = _("prior versions")
        ordering = ["-replaced_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(version_id="") | ~Q(archive_key=""),
                name="docversion_kept_somewhere",
            ),
        ]

    def __str__(self) -> str:
        return self.archive_key or f"{self.document.s3_key}@{self.version_id}"


class DocumentAccess(models.Model):
    """Who was handed a download link for which document, when, from where."""

    document = models.ForeignKey(
        DocumentIndex, on_delete=models.SET_NULL, null=True, related_name="accesses"
    )
    s3_key = models.CharField(_("key"), max_length=512)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_accesses"
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accessed_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("document access")
        verbose_name_plural = _("document accesses")
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.s3_key}"


class ApiKey(models.Model):
    """A key for the ingest API. Only its SHA-256 is stored; ``prefix`` finds it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
