from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from avataq.admin import ReadOnlyAdmin, ReadOnlyTabularInline, guarded_view
from billing import selectors, services
from billing.models import (
    CommunityFare,
    ComputingSheet,
    ComputingSheetLine,
    RateSchedule,
    Recovery,
    ScheduledPayment,
    SchoolFee,
    SchoolInvoice,
    SchoolInvoiceDocument,
    SchoolInvoiceLine,
)
from billing.pdf import sheet_pdf
from documents.admin import DocumentUploadAdmin
from enrollment.admin import EnrollmentAdmin, reason_page


def _each(
    request: HttpRequest, model_admin: admin.ModelAdmin, items, step: Callable, done: str
) -> None:
    succeeded = 0
    for item in items:
        try:
            step(item)
        except services.BillingError as exc:
            model_admin.message_user(request, f"{item}: {exc}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)


class AdjustmentForm(forms.Form):
    label = forms.CharField(max_length=120)
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, help_text="Negative to take an amount off."
    )
    payee = forms.ChoiceField(choices=ComputingSheetLine.Payee.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Mandatory; printed on the sheet."
    )


class CommunityFareInline(admin.TabularInline):
    model = CommunityFare
    extra = 0
    autocomplete_fields = ["community"]


class SchoolFeeInline(admin.TabularInline):
    model = SchoolFee
    extra = 0
    autocomplete_fields = ["school"]


@admin.register(RateSchedule)
class RateScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "scholar_year",
        "tuition_cap",
        "living_single",
        "living_with_spouse",
        "housing_supplement",
        "payment_day",
    ]
    list_select_related = ["scholar_year"]
    inlines = [CommunityFareInline, SchoolFeeInline]
    actions = ["copy_to_next_year"]

    @admin.action(description="Copy the selected rates to the next scholar year")
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[RateSchedule]) -> None:
        _each(
            request,
            self,
            queryset.select_related("scholar_year"),
            lambda rates: services.rates_copy_to_next_year(rates=rates),
            "rate schedule(s) copied",
        )


class SheetLineInline(ReadOnlyTabularInline):
    model = ComputingSheetLine
    fields = ["code", "label", "payee", "quantity", "unit_amount", "amount", "rule", "reason"]


@admin.register(ComputingSheet)
class ComputingSheetAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "student",
        "session",
        "status",
        "total",
        "school_total",
        "student_total",
        "recovery",
        "validated_at",
    ]
    list_filter = ["status", "enrollment__session", "enrollment__school"]
    list_select_related = ["enrollment__student", "enrollment__session", "enrollment__school"]
    search_fields = ["=enrollment__student__status_no", "enrollment__student__last_name"]
    inlines = [SheetLineInline]
    readonly_fields = [
        "enrollment",
        "revision",
        "status",
        "months",
        "total",
        "school_total",
        "student_total",
        "recovery",
        "validated_by",
        "validated_at",
        "changes",
        "pdf",
    ]
    actions = ["recompute", "validate", "cancel", "add_adjustment"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("billing.change_computingsheet")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        # Every field, draft or validated: a sheet changes only through its steps
        # (compute, adjust, validate, new revision), never by editing the form.
        fields = [f.name for f in ComputingSheet._meta.fields if f.name != "id"]
        return [*dict.fromkeys([*self.readonly_fields, *fields])]

    @admin.display(description="student")
    def student(self, sheet: ComputingSheet) -> str:
        return str(sheet.enrollment.student)

    @admin.display(description="session")
    def session(self, sheet: ComputingSheet) -> str:
        return str(sheet.enrollment.session)

    @admin.display(description="change from the previous revision")
    def changes(self, sheet: ComputingSheet) -> str:
        if sheet.previous_id is None:
            return "First revision."
        rows = services.sheet_diff(sheet=sheet)
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.label,
                    r.payee,
                    r.old if r.old is not None else "—",
                    r.new if r.new is not None else "—",
                    r.change,
                )
                for r in rows
            ),
        )
        return format_html(
            "<table><tr><th>Line</th><th>Payee</th><th>Old</th><th>New</th><th>Change</th></tr>"
            "{}</table>",
            body,
        )

    @admin.display(description="PDF")
    def pdf(self, sheet: ComputingSheet) -> str:
        url = reverse("admin:billing_computingsheet_pdf", args=[sheet.pk])
        return format_html('<a href="{}">Download the computing sheet (PDF)</a>', url)

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/pdf/",
                guarded_view(self, self.pdf_view),
                name="billing_computingsheet_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        sheet = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, sheet):
            raise PermissionDenied
        response = HttpResponse(sheet_pdf(sheet), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="sheet-{sheet.enrollment_id}-r{sheet.revision}.pdf"'
        )
        return response

    @admin.action(description="Recompute the selected drafts", permissions=["change"])
    def recompute(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        _each(
            request,
            self,
            queryset.filter(status="draft").select_related("enrollment"),
            lambda s: services.compute_sheet(enrollment=s.enrollment, by=request.user),
            "sheet(s) recomputed",
        )

    @admin.action(
        description="Add an adjustment line to the selected draft…", permissions=["change"]
    )
    def add_adjustment(
        self, request: HttpRequest, queryset: QuerySet[ComputingSheet]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one draft sheet.", messages.ERROR)
            return None
        sheet = queryset.get()
        form = AdjustmentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            _each(
                request,
                self,
                [sheet],
                lambda s: services.sheet_add_manual_line(
                    sheet=s,
                    label=data["label"],
                    amount=data["amount"],
                    payee=data["payee"],
                    reason=data["reason"],
                    by=request.user,
                ),
                "adjustment line(s) added",
            )
            return None
        return reason_page(
            self, request, "add_adjustment", form, queryset, verb="add an adjustment line to"
        )

    @admin.action(description="Validate the selected drafts", permissions=["change"])
    def validate(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        _each(
            request,
            self,
            queryset.order_by("pk"),
            lambda s: services.sheet_validate(sheet=s, by=request.user),
            "sheet(s) validated",
        )

    @admin.action(description="Cancel the selected drafts", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        _each(
            request,
            self,
            queryset.order_by("pk"),
            lambda s: services.sheet_cancel(sheet=s, by=request.user),
            "sheet(s) cancelled",
        )


@admin.register(ScheduledPayment)
class ScheduledPaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "payee", "code", "period", "due_date", "amount", "status"]
    list_filter = ["status", "payee", "code", "enrollment__session"]
    search_fields = ["=reference", "=enrollment__student__status_no"]
    date_hierarchy = "due_date"
    show_full_result_count = False
    actions = ["mark_sent", "mark_paid"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("billing.change_scheduledpayment")

    @admin.action(description="Mark the selected payments sent", permissions=["change"])
    def mark_sent(self, request: HttpRequest, queryset: QuerySet[ScheduledPayment]) -> None:
        _each(
            request,
            self,
            queryset,
            lambda p: services.payment_mark(payment=p, status="sent"),
            "payment(s) marked sent",
        )

    @admin.action(description="Mark the selected payments paid", permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[ScheduledPayment]) -> None:
        _each(
            request,
            self,
            queryset,
            lambda p: services.payment_mark(payment=p, status="paid"),
            "payment(s) marked paid",
        )


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = ["enrollment", "amount", "reason", "created_at", "settled_at"]
    list_select_related = ["enrollment__student", "enrollment__session", "enrollment__school"]


class InvoiceLineInline(admin.TabularInline):
    model = SchoolInvoiceLine
    extra = 0
    autocomplete_fields = ["student", "enrollment"]


@admin.register(SchoolInvoice)
class SchoolInvoiceAdmin(admin.ModelAdmin):
    list_display = ["invoice_number", "school", "session", "issued_on", "total", "status"]
    list_filter = ["status", "scholar_year", "school"]
    list_select_related = ["school", "session"]
    search_fields = ["invoice_number", "school__name", "=school__code"]
    autocomplete_fields = ["school", "scholar_year", "session"]
    readonly_fields = ["status"]
    inlines = [InvoiceLineInline]
    actions = ["approve", "mark_paid"]

    def get_urls(self) -> list:
        return [
            path(
                "discrepancies/",
                guarded_view(self, self.discrepancies),
                name="billing_schoolinvoice_discrepancies",
            ),
            *super().get_urls(),
        ]

    def discrepancies(self, request: HttpRequest) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Invoices against computed tuition",
            "rows": selectors.invoice_discrepancies(),
            "strays": selectors.invoice_lines_without_approved_enrollment(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/discrepancies.html", context)

    @admin.action(description="Approve the selected invoices", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[SchoolInvoice]) -> None:
        _each(
            request,
            self,
            queryset,
            lambda i: services.invoice_mark(invoice=i, status="approved"),
            "invoice(s) approved",
        )

    @admin.action(description="Mark the selected invoices paid", permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[SchoolInvoice]) -> None:
        _each(
            request,
            self,
            queryset,
            lambda i: services.invoice_mark(invoice=i, status="paid"),
            "invoice(s) marked paid",
        )


@admin.register(SchoolInvoiceDocument)
class SchoolInvoiceDocumentAdmin(DocumentUploadAdmin):
    list_display = ["__str__", "invoice", "uploaded_at"]
    list_select_related = ["invoice__school"]
    search_fields = ["invoice__invoice_number", "=invoice__school__code", "invoice__school__name"]
    autocomplete_fields = ["invoice"]
    identity_fields = ["invoice"]


@admin.action(description="Compute computing sheets", permissions=["compute"])
def compute_sheets(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _each(
        request,
        model_admin,
        queryset.order_by("pk"),
        lambda e: services.compute_sheet(enrollment=e, by=request.user),
        "sheet(s) computed",
    )


def _may_compute_sheets(model_admin: admin.ModelAdmin, request: HttpRequest) -> bool:
    """Computing sheets is Finance's work, whoever else may change enrollments."""
    return request.user.has_perm("billing.add_computingsheet")


# Billing adds its step to the enrollments' list (enrollment knows nothing of billing).
EnrollmentAdmin.actions = [*EnrollmentAdmin.actions, compute_sheets]
EnrollmentAdmin.has_compute_permission = _may_compute_sheets

# Bank accounts (Finance) live in their own module.
from billing import admin_accounts  # noqa: E402, F401
