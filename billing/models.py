from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from avataq.money import format_money
from billing.rules import KINDS, MONEY_PARAMS
from documents.models import S3DocumentMixin
from enrollment.models import AuditHistory, Enrollment
from scholarships.models import Community, ScholarYear, School, Session, Student


def money_field(label: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, **kwargs)


class RateSchedule(models.Model):
    """The program's rates for one scholar year: data staff edit, never code."""

    scholar_year = models.OneToOneField(
        ScholarYear, on_delete=models.PROTECT, related_name="rates", verbose_name=_("scholar year")
    )
    tuition_cap = money_field(_("tuition cap per session"))
    books_full_time = money_field(_("books and supplies, full-time, per session"))
    books_part_time = money_field(_("books and supplies, part-time, per session"))
    living_single = money_field(_("monthly living allowance, single"))
    living_with_spouse = money_field(_("monthly living allowance, with spouse"))
    living_per_dependant = money_field(_("monthly living allowance per dependant"))
    housing_supplement = money_field(_("monthly housing supplement (away, off campus)"))
    round_trips_per_session = models.PositiveSmallIntegerField(
        _("round trips per session"), default=1
    )
    childcare_per_dependant = money_field(_("monthly childcare per dependant"))
    payment_day = models.PositiveSmallIntegerField(
        _("allowance payment day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month monthly allowances are paid (1–28)."),
    )

    class Meta:
        verbose_name = _("rate schedule")
        verbose_name_plural = _("rate schedules")
        ordering = ["-scholar_year__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(payment_day__gte=1, payment_day__lte=28), name="rates_payment_day_1_28"
            ),
        ]

    def __str__(self) -> str:
        return f"Rates {self.scholar_year}"


class CommunityFare(models.Model):
    rates = models.ForeignKey(RateSchedule, on_delete=models.CASCADE, related_name="fares")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    round_trip_fare = money_field(_("round-trip fare"))

    class Meta:
        verbose_name = _("community fare")
        verbose_name_plural = _("community fares")
        constraints = [
            models.UniqueConstraint(fields=["rates", "community"], name="fare_unique_per_community")
        ]

    def __str__(self) -> str:
        return f"{self.community}: {self.round_trip_fare}"


class SchoolFee(models.Model):
    """What a school charges per session, by load (the tuition line pays it, up to the cap)."""

    rates = models.ForeignKey(RateSchedule, on_delete=models.CASCADE, related_name="school_fees")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    load = models.CharField(_("load"), max_length=10, choices=Enrollment.Load.choices)
    fee = money_field(_("fee per session"))

    class Meta:
        verbose_name = _("school fee")
        verbose_name_plural = _("school fees")
        constraints = [
            models.UniqueConstraint(fields=["rates", "school", "load"], name="school_fee_unique")
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.get_load_display()}: {self.fee}"


class ComputingSheet(models.Model):
    """Everything the program pays for one enrollment in one session, and why."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VALIDATED = "validated", _("Validated")
        SUPERSEDED = "superseded", _("Superseded")
        CANCELLED = "cancelled", _("Cancelled")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="sheets", verbose_name=_("enrollment")
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_revision",
        verbose_name=_("previous revision"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    months = models.PositiveSmallIntegerField(_("months counted"), default=0)
    total = money_field(_("total"), default=0)
    school_total = money_field(_("to the school"), default=0)
    student_total = money_field(_("to the student"), default=0)
    recovery = money_field(_("recovery (owed by the student)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)

    # Each computation, validation, cancellation, with who did it (the admin's History).
    history = AuditHistory()

    class Meta:
        verbose_name = _("computing sheet")
        verbose_name_plural = _("computing sheets")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "revision"], name="sheet_revision_unique"
            ),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status="validated"),
                name="sheet_one_validated_per_enrollment",
            ),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status="draft"),
                name="sheet_one_draft_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("school_total") + models.F("student_total")),
                name="sheet_total_is_school_plus_student",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Sheet %(enrollment)s r%(revision)s (%(status)s)") % {
            "enrollment": self.enrollment_id,
            "revision": self.revision,
            "status": self.get_status_display(),
        }


class ComputingSheetLine(models.Model):
    class Payee(models.TextChoices):
        SCHOOL = "school", _("School")
        STUDENT = "student", _("Student")

    sheet = models.ForeignKey(ComputingSheet, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=120)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, default=1)
    unit_amount = money_field(_("unit amount"))
    amount = money_field(_("amount"))
    payee = models.CharField(_("payee"), max_length=10, choices=Payee.choices)
    rule = models.TextField(_("why"), blank=True)
    # The explanation as a translatable template and its values (rules.py), so the PDF
    # explains each line in the student's language; ``rule`` is the English for staff.
    rule_template = models.CharField(max_length=200, blank=True, editable=False)
    rule_params = models.JSONField(default=dict, blank=True, editable=False)
    is_manual = models.BooleanField(_("manual adjustment"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("computing sheet line")
        verbose_name_plural = _("computing sheet lines")
        ordering = ["sheet", "is_manual", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_manual=False) | ~Q(reason=""), name="sheet_line_manual_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {format_money(self.amount, get_language() or 'en')}"

    def explanation(self) -> str:
        """Why this amount, in the active language (lines computed before explanations
        were translatable have only the English)."""
        if not self.rule_template:
            return self.rule
        language = get_language() or "en"
        params = {
            name: format_money(Decimal(value), language) if name in MONEY_PARAMS else value
            for name, value in self.rule_params.items()
        }
        return gettext(self.rule_template) % params


class ScheduledPayment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        RECONCILED = "reconciled", _("Reconciled")
        CANCELLED = "cancelled", _("Cancelled")
        # The bank sent it back (a closed account…): due again, offered to the next run.
        RETURNED = "returned", _("Returned by the bank")

    # Owed and not cancelled.
    LIVE_STATUSES = (Status.SCHEDULED, Status.SENT, Status.PAID, Status.RECONCILED)
    # A bank line may still be matched to it.
    MATCHABLE_STATUSES = (Status.SCHEDULED, Status.SENT, Status.PAID)
    # Still to reach the student (the portal's "next payments").
    UPCOMING_STATUSES = (Status.SCHEDULED, Status.SENT)

    sheet = models.ForeignKey(
        ComputingSheet,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("computing sheet"),
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("enrollment")
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    payee = models.CharField(_("payee"), max_length=10, choices=ComputingSheetLine.Payee.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    code = models.CharField(_("line code"), max_length=20)
    period = models.DateField(_("for"), help_text=_("The month or date this payment is for."))
    due_date = models.DateField(_("due"))
    amount = money_field(_("amount"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    reconciled_amount = money_field(_("reconciled"), default=0)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    return_reason = models.CharField(_("why the bank returned it"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Each step (sent, paid, cancelled…), with who took it (the admin's History).
    history = AuditHistory()

    class Meta:
        verbose_name = _("scheduled payment")
        verbose_name_plural = _("scheduled payments")
        ordering = ["due_date", "reference"]
        indexes = [models.Index(fields=["status", "due_date"], name="payment_status_due_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_amount_not_zero"),
            # Nothing is reconciled twice: the database refuses more than the payment.
            models.CheckConstraint(
                condition=Q(reconciled_amount__gte=0, reconciled_amount__lte=models.F("amount"))
                | Q(amount__lt=0, reconciled_amount=0),
                name="payment_not_over_reconciled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"

    def kind(self) -> str:
        """What the payment is for (living allowance, travel…), in the active language."""
        return gettext(KINDS[self.code]) if self.code in KINDS else self.code


class Recovery(models.Model):
    """Money the student owes back: allowances paid for months after a withdrawal."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="recoveries")
    sheet = models.ForeignKey(ComputingSheet, on_delete=models.PROTECT, related_name="recoveries")
    amount = money_field(_("amount"))
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_positive"),
        ]

    def __str__(self) -> str:
        return f"Recovery {self.enrollment_id}: {self.amount}"


INVOICE_DOCUMENT_TYPE = "school-invoice"


class SchoolInvoice(models.Model):
    """An invoice a school sent the program (grows with the billing work)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        RECONCILED = "reconciled", _("Reconciled")

    # A bank line may still be matched to it.
    MATCHABLE_STATUSES = (Status.APPROVED, Status.PAID)

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("school")
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40)
    scholar_year = models.ForeignKey(
        ScholarYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("scholar year")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    issued_on = models.DateField(_("issued on"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    reconciled_amount = money_field(_("reconciled"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("school invoice")
        verbose_name_plural = _("school invoices")
        ordering = ["-issued_on", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "invoice_number"], name="invoice_number_unique_per_school"
            ),
            models.CheckConstraint(
                condition=Q(reconciled_amount__gte=0, reconciled_amount__lte=models.F("total")),
                name="invoice_not_over_reconciled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school.code} #{self.invoice_number}"


class SchoolInvoiceLine(models.Model):
    invoice = models.ForeignKey(SchoolInvoice, on_delete=models.CASCADE, related_name="lines")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.student.status_no} {self.amount}"


class SchoolInvoiceDocument(S3DocumentMixin):
    """A school invoice's PDF. It lists several students, so it is the school's document:
    filed under ``schools/{code}/{year}/``, in no student's folder, never shown to one."""

    invoice = models.ForeignKey(
        SchoolInvoice, on_delete=models.PROTECT, related_name="documents", verbose_name=_("invoice")
    )

    class Meta:
        verbose_name = _("school invoice document")
        verbose_name_plural = _("school invoice documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.key or str(self.invoice)

    def document_student(self) -> None:
        return None

    def document_scholar_year(self) -> str:
        return self.invoice.scholar_year.code

    def document_type_code(self) -> str:
        return INVOICE_DOCUMENT_TYPE

    def document_qualifier(self) -> str:
        return self.invoice.invoice_number

    def document_school(self) -> School:
        return self.invoice.school


class BankAccount(models.Model):
    """The program's account at a bank, and how that bank's CSV export reads.

    A statement file names the accounts it holds (OFX, CAMT, some CSV): each of its
    statements goes to the account whose number ends with ``account_number`` and whose
    currency is the statement's; a file naming an account the program does not have is
    refused, naming it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    institution = models.CharField(_("institution"), max_length=100)
    account_number = models.CharField(
        _("account number (last digits)"),
        max_length=12,
        validators=[RegexValidator(r"^[0-9]{3,12}$", _("3 to 12 digits."))],
        help_text=_(
            "The last digits (at least 3) of the account number, as statements print it: "
            "they route each statement of a file to its account. Never the full number."
        ),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="CAD",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("A currency code such as CAD or USD."))],
    )
    csv_preset = models.CharField(
        _("CSV layout"),
        max_length=40,
        blank=True,
        help_text=_("The bank's CSV export layout; empty to map the columns by hand below."),
    )
    csv_mapping = models.JSONField(
        _("CSV column mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'e.g. {"date": "Date", "date_format": "%Y-%m-%d", "amount": "Amount", '
            '"description": "Description", "reference": "Reference", "counterparty": "Payee", '
            '"bank_id": "Transaction ID", "delimiter": ",", "decimal_comma": false} — or '
            '"debit" and "credit" columns instead of "amount".'
        ),
    )

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_number", "currency"],
                name="bank_account_number_currency_once",
                violation_error_message=_("Another account has these digits and currency."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (…{self.account_number} {self.currency})"

    def statement_mapping(self) -> dict:
        """How this bank's CSV or XLSX export reads: its preset's layout, or the columns
        mapped by hand."""
        from billing.statements import PRESETS

        if self.csv_preset in PRESETS:
            return dict(PRESETS[self.csv_preset].mapping)
        return self.csv_mapping if isinstance(self.csv_mapping, dict) else {}


class StatementImport(models.Model):
    """One statement file sent by Finance, and how its import went. A file may hold
    several accounts' statements (one ``BankStatement`` each); a large one is imported by
    a Celery task, and this row says where it stands. A refused file keeps no line: only
    this row, with the reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Refused")

    filename = models.CharField(_("file name"), max_length=255)
    source_format = models.CharField(_("format"), max_length=8)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    file_key = models.CharField(_("stored file"), max_length=512, blank=True)
    account = models.ForeignKey(
        BankAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account chosen"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    lines_read = models.PositiveIntegerField(_("lines read"), default=0)
    lines_new = models.PositiveIntegerField(_("new lines"), default=0)
    reconciled = models.PositiveIntegerField(_("reconciled at once"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    error = models.TextField(_("reason refused"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement file")
        verbose_name_plural = _("statement files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class BankStatement(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        OFX = "ofx", "OFX / QFX"
        CAMT053 = "camt053", "ISO 20022 CAMT.053 (XML or ZIP)"

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(
        StatementImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("file"),
    )
    source_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    account_identifier = models.CharField(
        _("account as the file names it (last digits)"), max_length=12, blank=True
    )
    opening_balance = money_field(_("opening balance"), null=True, blank=True)
    closing_balance = money_field(_("closing balance"), null=True, blank=True)
    expected_closing = money_field(
        _("closing balance the previous statement implies"),
        null=True,
        blank=True,
        help_text=_(
            "For a file printing only its closing balance: the previous statement's "
            "closing plus these lines."
        ),
    )
    first_date = models.DateField(_("first line"), null=True)
    last_date = models.DateField(_("last line"), null=True)
    lines_read = models.PositiveIntegerField(_("lines read"), default=0)
    lines_new = models.PositiveIntegerField(_("new lines"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.account.name}: {self.filename}"

    @property
    def balance_gap(self) -> Decimal | None:
        """How far the printed closing balance is from the one the previous statement
        implies (None when nothing could be compared)."""
        if self.expected_closing is None or self.closing_balance is None:
            return None
        return self.closing_balance - self.expected_closing


class StatementLine(models.Model):
    """One movement on the account (negative: money out). ``dedup_key`` is the bank's own
    transaction id when the format has one, else a fingerprint of the normalised row and
    its occurrence in the file: importing a file twice, or overlapping statements, adds
    nothing; two genuine identical lines on one day stay two."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    booked_on = models.DateField(_("date"))
    amount = money_field(_("amount"))
    description = models.CharField(_("description"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    bank_id = models.CharField(_("bank transaction id"), max_length=100, blank=True)
    dedup_key = models.CharField(_("deduplication key"), max_length=120)
    raw = models.TextField(_("source line"))
    matched_amount = money_field(_("matched"), default=0)
    # Set when the bank marks the line as a return or reversal of a payment sent (the
    # reason it gives, or "reversal"): the payment it names is reopened.
    return_reason = models.CharField(_("return reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["booked_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "dedup_key"], name="statement_line_once"),
            models.CheckConstraint(condition=~Q(amount=0), name="statement_line_not_zero"),
            models.CheckConstraint(
                condition=Q(matched_amount__gte=0)
                & (
                    Q(matched_amount__lte=models.F("amount"))
                    | Q(matched_amount__lte=-models.F("amount"))
                ),
                name="statement_line_not_over_matched",
            ),
        ]
        indexes = [models.Index(fields=["account", "booked_on"], name="statement_line_date_idx")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.description[:40]}"


class Match(models.Model):
    """A bank line settling (part of) a scheduled payment, or a written-off difference.
    Undoing keeps the row (who, when) and gives the amounts and statuses back."""

    class Kind(models.TextChoices):
        MATCH = "match", _("Match")
        WRITE_OFF = "write_off", _("Write-off")
        # A credit line bringing a sent payment back: the payment is returned, due again.
        RETURN = "return", _("Return")

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="matches")
    payment = models.ForeignKey(
        ScheduledPayment, on_delete=models.PROTECT, null=True, blank=True, related_name="matches"
    )
    invoice = models.ForeignKey(
        SchoolInvoice, on_delete=models.PROTECT, null=True, blank=True, related_name="matches"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MATCH)
    amount = money_field(_("amount"))
    rule = models.CharField(_("rule"), max_length=100, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    previous_status = models.CharField(_("payment status before"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("matched"), auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="match_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="match", payment__isnull=False, invoice__isnull=True)
                | Q(kind="match", payment__isnull=True, invoice__isnull=False)
                | Q(kind="write_off", payment__isnull=True, invoice__isnull=True) & ~Q(reason="")
                | Q(kind="return", payment__isnull=False, invoice__isnull=True),
                name="match_kind_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class RejectedSuggestion(models.Model):
    """A person said this suggestion is wrong: it is not offered again for that line."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="rejections")
    payment_ids = models.JSONField(_("payments"))
    rule = models.CharField(_("rule"), max_length=100)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    rejected_at = models.DateTimeField(_("rejected"), auto_now_add=True)

    class Meta:
        verbose_name = _("rejected suggestion")
        verbose_name_plural = _("rejected suggestions")

    def __str__(self) -> str:
        return f"line {self.line_id}: {self.payment_ids}"


class LineProposal(models.Model):
    """What the matching passes propose for a statement line nothing is matched to yet,
    stored when the statement is imported and recomputed when matches change
    (``billing.reconciliation.proposals_refresh``): the reconcile page reads it, it never
    computes it. ``single``: the payments to settle together (one, a split, a batch) or a
    school invoice; ``candidates``: payments that fit the line equally, for a person to
    choose one. Derived data: it holds no decision, and may be dropped and recomputed."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("suggestion")
        CANDIDATES = "candidates", _("candidates")

    line = models.OneToOneField(
        StatementLine, on_delete=models.CASCADE, related_name="proposal", verbose_name=_("line")
    )
    # The line's statement, again: the page and the refresh find a statement's proposals
    # through this index, without joining the lines.
    statement = models.ForeignKey(
        BankStatement,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("statement"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    payment_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True, verbose_name=_("payments")
    )
    invoice = models.ForeignKey(
        SchoolInvoice,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    amount = money_field(_("amount"))
    rule = models.CharField(_("rule"), max_length=100)
    confidence = models.FloatField(_("confidence"))

    class Meta:
        verbose_name = _("line proposal")
        verbose_name_plural = _("line proposals")
        default_permissions = ()  # no one edits it: it follows the matches
        indexes = [
            models.Index(fields=["statement", "kind", "confidence"], name="proposal_statement_idx"),
            # Which proposals name a payment, when its reconciliation changes.
            GinIndex(fields=["payment_ids"], name="proposal_payments_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposal_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="single", invoice__isnull=False, payment_ids__len=0)
                | Q(kind="single", invoice__isnull=True, payment_ids__len__gte=1)
                | Q(kind="candidates", invoice__isnull=True, payment_ids__len__gte=2),
                name="proposal_kind_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.line_id}: {self.get_kind_display()} {self.rule}"


# The payment side (bank details, runs): its own module, one concern.
from billing.models_payments import (  # noqa: E402, F401
    BankDetails,
    BankDetailsAccess,
    LedgerAccount,
    PaymentRun,
    PaymentRunExclusion,
    PaymentRunItem,
)
