from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.models import S3DocumentMixin
from scholarships.models import ScholarYear, School, Student

INVOICE_DOCUMENT_TYPE = "school-invoice"


class SchoolInvoice(models.Model):
    """An invoice a school sent the program (grows with the billing work)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("school")
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40)
    scholar_year = models.ForeignKey(
        ScholarYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("scholar year")
    )
    issued_on = models.DateField(_("issued on"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("school invoice")
        verbose_name_plural = _("school invoices")
        ordering = ["-issued_on", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "invoice_number"], name="invoice_number_unique_per_school"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school.code} #{self.invoice_number}"


class SchoolInvoiceDocument(S3DocumentMixin):
    """A school invoice's PDF, filed in the folder of a student it bills."""

    invoice = models.ForeignKey(
        SchoolInvoice, on_delete=models.PROTECT, related_name="documents", verbose_name=_("invoice")
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="+", verbose_name=_("student")
    )

    class Meta:
        verbose_name = _("school invoice document")
        verbose_name_plural = _("school invoice documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.key or f"{self.invoice} — {self.student}"

    def document_student(self) -> Student:
        return self.student

    def document_scholar_year(self) -> str:
        return self.invoice.scholar_year.code

    def document_type_code(self) -> str:
        return INVOICE_DOCUMENT_TYPE

    def document_qualifier(self) -> str:
        return self.invoice.invoice_number

    def document_school(self) -> School:
        return self.invoice.school
