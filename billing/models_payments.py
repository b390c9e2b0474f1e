"""Paying students and schools: their bank details (the account number encrypted at
rest), payment runs with their items and the payments left out, and who saw a full
account number. Imported by ``billing.models``; the writes are in ``billing.payments``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import AuditHistory
from scholarships.models import School, Session, Student

MASK = "•••"


def masked(last_digits: str) -> str:
    """An account number as every screen shows it: its last 3 digits only."""
    return f"{MASK}{last_digits}" if last_digits else ""


class BankDetails(models.Model):
    """Where a student's or a school's payments go: a Canadian direct-deposit account
    (institution, transit, account) or, for a school abroad, an IBAN and a BIC. The account
    number (or IBAN) is stored encrypted; its last 3 digits are kept apart to show it
    masked. New or changed details are ``pending`` until a second person confirms them:
    no payment goes to them before."""

    class Scheme(models.TextChoices):
        CANADA = "canada", _("Canadian direct deposit")
        IBAN = "iban", _("IBAN and BIC (abroad)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second person's confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    student = models.OneToOneField(
        Student,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_details",
        verbose_name=_("student"),
    )
    school = models.OneToOneField(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_details",
        verbose_name=_("school"),
    )
    holder_name = models.CharField(_("account holder"), max_length=100)
    scheme = models.CharField(
        _("kind of account"), max_length=10, choices=Scheme.choices, default=Scheme.CANADA
    )
    institution = models.CharField(_("institution number"), max_length=3, blank=True)
    transit = models.CharField(_("transit number"), max_length=5, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # Fernet token of the account number (or IBAN): never the number in clear.
    account_ciphertext = models.TextField(editable=False)
    account_last3 = models.CharField(_("account (last 3 digits)"), max_length=3, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    # Each change and confirmation, with who made it; the ciphertext is not copied there
    # (a key rotation re-encrypts one row, not every past version).
    history = AuditHistory(excluded_fields=["account_ciphertext"])

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")
        ordering = ["pk"]
        permissions = [("reveal_bankdetails", _("Can see a full account number (logged)"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(student__isnull=False, school__isnull=True)
                | Q(student__isnull=True, school__isnull=False),
                name="bank_details_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(
                    scheme="canada",
                    institution__regex=r"^[0-9]{3}$",
                    transit__regex=r"^[0-9]{5}$",
                    bic="",
                )
                | Q(scheme="iban", institution="", transit="", school__isnull=False) & ~Q(bic=""),
                name="bank_details_scheme_fields",
            ),
            # Four eyes: the person who entered the details never confirms them.
            models.CheckConstraint(
                condition=Q(status="pending", confirmed_by__isnull=True)
                | Q(status="confirmed", confirmed_by__isnull=False)
                & (Q(changed_by__isnull=True) | ~Q(confirmed_by=F("changed_by"))),
                name="bank_details_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.masked}"

    @property
    def masked(self) -> str:
        return masked(self.account_last3)

    @property
    def owner(self) -> Student | School:
        return self.student or self.school


class BankDetailsAccess(models.Model):
    """Someone (or a payment file) read a full account number."""

    details = models.ForeignKey(
        BankDetails,
        on_delete=models.PROTECT,
        related_name="accesses",
        verbose_name=_("bank details"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    accessed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("account number access")
        verbose_name_plural = _("account number accesses")
        ordering = ["-accessed_at"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.details_id}: {self.purpose}"


class PaymentRun(models.Model):
    """Due payments paid together by one bank file. Prepared by one Finance user,
    approved by another (never the preparer); approval locks it; its file is produced
    from the approved run, which marks its payments sent. Cancelled before that."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("File produced, sent")
        CANCELLED = "cancelled", _("Cancelled")

    class PayeeKind(models.TextChoices):
        ALL = "", _("Students and schools")
        STUDENT = "student", _("Students")
        SCHOOL = "school", _("Schools")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREPARED
    )
    due_until = models.DateField(_("due up to"))
    payee_kind = models.CharField(
        _("payees"), max_length=10, choices=PayeeKind.choices, blank=True, default=""
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    execution_date = models.DateField(_("pay on"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("prepared"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    sent_at = models.DateTimeField(_("file produced"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    pain001_key = models.CharField(_("ISO 20022 file"), max_length=512, blank=True)
    pain001_sha256 = models.CharField(_("ISO 20022 file SHA-256"), max_length=64, blank=True)
    cpa005_key = models.CharField(_("CPA-005 file"), max_length=512, blank=True)
    cpa005_sha256 = models.CharField(_("CPA-005 file SHA-256"), max_length=64, blank=True)

    history = AuditHistory()

    class Meta:
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        ordering = ["-pk"]
        permissions = [("export_ledger", _("Can export the general ledger"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="payment_run_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "sent"]) | Q(approved_by__isnull=False),
                name="payment_run_approved_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.get_status_display()})"


class PaymentRunItem(models.Model):
    """A payment in a run, to the bank details it goes to. ``active``: the payment's live
    run (a cancelled run, or a payment returned by the bank, frees it for another)."""

    run = models.ForeignKey(
        PaymentRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("run")
    )
    payment = models.ForeignKey(
        "billing.ScheduledPayment",
        on_delete=models.PROTECT,
        related_name="run_items",
        verbose_name=_("payment"),
    )
    bank_details = models.ForeignKey(
        BankDetails, on_delete=models.PROTECT, related_name="+", verbose_name=_("bank details")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    active = models.BooleanField(_("live"), default=True)

    class Meta:
        verbose_name = _("payment run item")
        verbose_name_plural = _("payment run items")
        ordering = ["run", "pk"]
        default_permissions = ()  # written by the run's services only
        constraints = [
            models.UniqueConstraint(
                fields=["payment"], condition=Q(active=True), name="payment_in_one_live_run"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="run_item_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: payment {self.payment_id}"


class PaymentRunExclusion(models.Model):
    """A due payment the run could not pay, and why (it stays due for a later run)."""

    class Reason(models.TextChoices):
        NO_DETAILS = "no_details", _("No bank details")
        UNCONFIRMED = "unconfirmed", _("Bank details not confirmed yet")
        WITHDRAWN = "withdrawn", _("Enrollment withdrawn")
        NOT_POSITIVE = "not_positive", _("Not an amount to pay (a credit)")

    run = models.ForeignKey(
        PaymentRun, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("run")
    )
    payment = models.ForeignKey(
        "billing.ScheduledPayment",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payment"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)

    class Meta:
        verbose_name = _("payment left out")
        verbose_name_plural = _("payments left out")
        ordering = ["run", "pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"run {self.run_id}: payment {self.payment_id} ({self.reason})"


class LedgerAccount(models.Model):
    """The general-ledger account a kind of payment is booked to (edited by Finance; a
    kind without a row uses the default of ``billing.payments.ledger``)."""

    kind = models.CharField(
        _("kind of payment"),
        max_length=20,
        unique=True,
        help_text=_(
            "A payment line code (LIVING, TUITION, TRAVEL, BOOKS, CHILDCARE…), "
            "WRITE_OFF for write-offs, or BANK for the bank account paid from."
        ),
    )
    account_code = models.CharField(_("account code"), max_length=20)
    name = models.CharField(_("account name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.account_code}"
