from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from avataq.admin import ReadOnlyAdmin, ReadOnlyTabularInline, apply_to_each, guarded_view
from avataq.money import format_money
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
from enrollment.admin import EnrollmentAdmin, Step, WorkflowAdmin, line_of, reason_page
from enrollment.models import Enrollment
from scholarships.admin import HistoryAdmin

Sheet = ComputingSheet.Status
Invoice = SchoolInvoice.Status


class AdjustmentForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=120)
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Negative to take an amount off."),
    )
    payee = forms.ChoiceField(label=_("Paid to"), choices=ComputingSheetLine.Payee.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mandatory; printed on the sheet."),
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

    @admin.action(description=_("Copy the selected rates to the next scholar year"))
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[RateSchedule]) -> None:
        apply_to_each(
            request,
            self,
            queryset.select_related("scholar_year"),
            lambda rates: services.rates_copy_to_next_year(rates=rates),
            ngettext_lazy(
                "%(count)d rate schedule copied.", "%(count)d rate schedules copied.", "count"
            ),
        )


def _money(value: Decimal | None) -> str:
    """An amount as the reader's language writes dollars ($11,500.00 / 11 500,00 $)."""
    return "—" if value is None else format_money(value, get_language() or "en")


def money_display(field: str, description: str | Promise) -> Callable[[object, object], str]:
    """An admin column or read-only field showing the money field ``field`` as dollars."""

    @admin.display(description=description, ordering=field)
    def shown(model_admin: object, obj: object) -> str:
        return _money(getattr(obj, field))

    return shown


class SheetLineInline(ReadOnlyTabularInline):
    model = ComputingSheetLine
    # Labels and explanations in the reader's language, amounts as they write dollars.
    fields = [
        "code",
        "label_shown",
        "payee",
        "quantity",
        "unit_amount_shown",
        "amount_shown",
        "explanation",
        "reason",
    ]

    unit_amount_shown = money_display("unit_amount", _("unit amount"))
    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("label"))
    def label_shown(self, line: ComputingSheetLine) -> str:
        return gettext(line.label) if line.label else ""

    @admin.display(description=_("why"))
    def explanation(self, line: ComputingSheetLine) -> str:
        return line.explanation()


# --- computing sheets --------------------------------------------------------------------
SHEET_LINE = [Sheet.DRAFT, Sheet.VALIDATED]
SHEET_STEPS = {
    # step: (button, the sheet statuses it starts from)
    "validate": (_("Validate"), {Sheet.DRAFT}),
    "recompute": (_("Compute again"), {Sheet.DRAFT}),
    "adjust": (_("Add an adjustment line…"), {Sheet.DRAFT}),
    "cancel": (_("Cancel the draft"), {Sheet.DRAFT}),
    "new_revision": (_("Compute a new revision"), {Sheet.VALIDATED}),
}
# Computing needs an approved or active enrollment; validating, one that is paid.
COMPUTING_STEPS = {"recompute", "new_revision"}
# The amounts a sheet's page shows as dollars (``<field>_shown``), not as they are stored.
SHEET_AMOUNTS = ["total", "school_total", "student_total", "recovery"]


@admin.register(ComputingSheet)
class ComputingSheetAdmin(WorkflowAdmin, HistoryAdmin, ReadOnlyAdmin):
    # Who, which session, where the sheet stands, then the amounts.
    list_display = [
        "student",
        "session",
        "revision",
        "status",
        "total_shown",
        "school_total_shown",
        "student_total_shown",
        "recovery_shown",
        "validated_at",
    ]
    list_display_links = ["student"]
    list_filter = ["status", "enrollment__session", "enrollment__school"]
    list_select_related = ["enrollment__student", "enrollment__session"]
    search_fields = ["=enrollment__student__status_no", "enrollment__student__last_name"]
    inlines = [SheetLineInline]
    readonly_fields = [
        "enrollment",
        "revision",
        "status",
        "months",
        "total_shown",
        "school_total_shown",
        "student_total_shown",
        "recovery_shown",
        "validated_by",
        "validated_at",
        "changes",
        "pdf",
    ]
    exclude = SHEET_AMOUNTS
    actions = ["recompute", "validate", "cancel", "add_adjustment"]
    step_forms = {"adjust": AdjustmentForm}

    total_shown = money_display("total", _("total"))
    school_total_shown = money_display("school_total", _("to the school"))
    student_total_shown = money_display("student_total", _("to the student"))
    recovery_shown = money_display("recovery", _("recovery (owed by the student)"))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("billing.change_computingsheet")

    def has_compute_permission(self, request: HttpRequest) -> bool:
        """Computing sheets is Finance's work, whoever else may change enrollments."""
        return request.user.has_perm("billing.add_computingsheet")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        # Every field, draft or validated: a sheet changes only through its steps
        # (compute, adjust, validate, new revision), never by editing the form.
        fields = [
            f.name for f in ComputingSheet._meta.fields if f.name not in {"id", *SHEET_AMOUNTS}
        ]
        return [*dict.fromkeys([*self.readonly_fields, *fields])]

    @admin.display(description=_("student"), ordering="enrollment__student__last_name")
    def student(self, sheet: ComputingSheet) -> str:
        return str(sheet.enrollment.student)

    @admin.display(description=_("session"), ordering="enrollment__session")
    def session(self, sheet: ComputingSheet) -> str:
        return str(sheet.enrollment.session)

    @admin.display(description=_("change from the previous revision"))
    def changes(self, sheet: ComputingSheet) -> str:
        if sheet.previous_id is None:
            return gettext("First revision.")
        rows = services.sheet_diff(sheet=sheet)
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    gettext(r.label) if r.label else "",
                    ComputingSheetLine.Payee(r.payee).label,
                    _money(r.old),
                    _money(r.new),
                    _money(r.change),
                )
                for r in rows
            ),
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            gettext("Line"),
            gettext("Paid to"),
            gettext("Old"),
            gettext("New"),
            gettext("Change"),
            body,
        )

    @admin.display(description="PDF")
    def pdf(self, sheet: ComputingSheet) -> str:
        url = reverse("admin:billing_computingsheet_pdf", args=[sheet.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("Download the computing sheet (PDF)")
        )

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/pdf/",
                guarded_view(self, self.pdf_view),
                name="billing_computingsheet_pdf",
            ),
            path(
                "compute/<int:enrollment_id>/",
                guarded_view(self, self.compute_view, action="compute"),
                name="billing_computingsheet_compute",
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

    def compute_view(self, request: HttpRequest, enrollment_id: int) -> HttpResponse:
        """The enrollment page's *Compute the computing sheet*: its draft, computed, is
        shown; or the enrollment's page again, saying why not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        enrollments = self.admin_site._registry[Enrollment].get_queryset(request)
        enrollment = get_object_or_404(enrollments, pk=enrollment_id)
        try:
            sheet = services.compute_sheet(enrollment=enrollment, by=request.user)
        except services.BillingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect("admin:enrollment_enrollment_change", enrollment.pk)
        self.message_user(request, _computed(sheet), messages.SUCCESS)
        return redirect("admin:billing_computingsheet_change", sheet.pk)

    # The buttons of a sheet's page.
    def workflow_statuses(self, obj: ComputingSheet) -> list[tuple[str | Promise, bool]]:
        return line_of(SHEET_LINE, obj.status, Sheet)

    def workflow_steps(self, request: HttpRequest, obj: ComputingSheet) -> list[str]:
        status = obj.enrollment.status
        return [
            step
            for step, (_label, sources) in SHEET_STEPS.items()
            if obj.status in sources
            and (step not in COMPUTING_STEPS or status in Enrollment.COMPUTABLE_STATUSES)
            and (step != "validate" or status in services.PAYABLE_ENROLLMENTS)
        ]

    def step_label(self, step: str) -> str | Promise:
        return SHEET_STEPS[step][0]

    def take_step(
        self, request: HttpRequest, obj: ComputingSheet, step: str, data: dict
    ) -> tuple[str, ComputingSheet]:
        by = request.user
        if step in COMPUTING_STEPS:
            sheet = services.compute_sheet(enrollment=obj.enrollment, by=by)
            return _computed(sheet), sheet
        if step == "validate":
            sheet = services.sheet_validate(sheet=obj, by=by)
            return gettext("Revision %(revision)s is validated; its payments are scheduled.") % {
                "revision": sheet.revision
            }, sheet
        if step == "cancel":
            sheet = services.sheet_cancel(sheet=obj, by=by)
            return gettext("The draft is cancelled."), sheet
        services.sheet_add_manual_line(sheet=obj, by=by, **data)
        return gettext("The adjustment line is added."), obj

    # The same steps for the sheets ticked in the list.
    @admin.action(description=_("Recompute the selected drafts"), permissions=["change"])
    def recompute(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        apply_to_each(
            request,
            self,
            queryset.filter(status="draft").select_related("enrollment"),
            lambda s: services.compute_sheet(enrollment=s.enrollment, by=request.user),
            ngettext_lazy("%(count)d sheet recomputed.", "%(count)d sheets recomputed.", "count"),
        )

    @admin.action(
        description=_("Add an adjustment line to the selected draft…"), permissions=["change"]
    )
    def add_adjustment(
        self, request: HttpRequest, queryset: QuerySet[ComputingSheet]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one draft sheet."), messages.ERROR)
            return None
        sheet = queryset.get()
        form = AdjustmentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            apply_to_each(
                request,
                self,
                [sheet],
                lambda s: services.sheet_add_manual_line(
                    sheet=s, by=request.user, **form.cleaned_data
                ),
                ngettext_lazy(
                    "%(count)d adjustment line added.", "%(count)d adjustment lines added.", "count"
                ),
            )
            return None
        return reason_page(self, request, "add_adjustment", form, queryset, _("Add the line"))

    @admin.action(description=_("Validate the selected drafts"), permissions=["change"])
    def validate(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        apply_to_each(
            request,
            self,
            queryset.order_by("pk"),
            lambda s: services.sheet_validate(sheet=s, by=request.user),
            ngettext_lazy("%(count)d sheet validated.", "%(count)d sheets validated.", "count"),
        )

    @admin.action(description=_("Cancel the selected drafts"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ComputingSheet]) -> None:
        apply_to_each(
            request,
            self,
            queryset.order_by("pk"),
            lambda s: services.sheet_cancel(sheet=s, by=request.user),
            ngettext_lazy("%(count)d sheet cancelled.", "%(count)d sheets cancelled.", "count"),
        )


def _computed(sheet: ComputingSheet) -> str:
    return gettext("Revision %(revision)s is computed (draft): %(total)s in all.") % {
        "revision": sheet.revision,
        "total": _money(sheet.total),
    }


# --- payments --------------------------------------------------------------------------
@admin.register(ScheduledPayment)
class ScheduledPaymentAdmin(HistoryAdmin, ReadOnlyAdmin):
    # Whose, which payment, where it stands, then when and how much (fits 1366 px).
    list_display = [
        "student",
        "reference",
        "status",
        "due_date",
        "amount_shown",
        "payee",
        "code",
        "period",
    ]
    list_filter = ["status", "payee", "code", "enrollment__session"]
    list_select_related = ["enrollment__student"]
    search_fields = ["=reference", "=enrollment__student__status_no"]
    date_hierarchy = "due_date"
    show_full_result_count = False
    actions = ["mark_sent", "mark_paid"]

    amount_shown = money_display("amount", _("amount"))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("billing.change_scheduledpayment")

    @admin.display(description=_("student"), ordering="enrollment__student__last_name")
    def student(self, payment: ScheduledPayment) -> str:
        return str(payment.enrollment.student)

    @admin.action(description=_("Mark the selected payments sent"), permissions=["change"])
    def mark_sent(self, request: HttpRequest, queryset: QuerySet[ScheduledPayment]) -> None:
        apply_to_each(
            request,
            self,
            queryset,
            lambda p: services.payment_mark(payment=p, status="sent", by=request.user),
            ngettext_lazy(
                "%(count)d payment marked sent.", "%(count)d payments marked sent.", "count"
            ),
        )

    @admin.action(description=_("Mark the selected payments paid"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[ScheduledPayment]) -> None:
        apply_to_each(
            request,
            self,
            queryset,
            lambda p: services.payment_mark(payment=p, status="paid", by=request.user),
            ngettext_lazy(
                "%(count)d payment marked paid.", "%(count)d payments marked paid.", "count"
            ),
        )


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = ["enrollment", "amount", "reason", "created_at", "settled_at"]
    list_select_related = ["enrollment__student", "enrollment__session", "enrollment__school"]


# --- school invoices ---------------------------------------------------------------------
class InvoiceLineInline(admin.TabularInline):
    model = SchoolInvoiceLine
    extra = 0
    autocomplete_fields = ["student", "enrollment"]


INVOICE_LINE = [Invoice.RECEIVED, Invoice.APPROVED, Invoice.PAID, Invoice.RECONCILED]
INVOICE_STEPS = {
    # step: (button, the status it leads to); services.INVOICE_FLOW says from where.
    "approve": (_("Approve"), Invoice.APPROVED),
    "mark_paid": (_("Mark paid"), Invoice.PAID),
}


@admin.register(SchoolInvoice)
class SchoolInvoiceAdmin(WorkflowAdmin):
    list_display = ["invoice_number", "school", "status", "session", "issued_on", "total"]
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
            "title": gettext("Invoices against computed tuition"),
            "rows": selectors.invoice_discrepancies(),
            "strays": selectors.invoice_lines_without_approved_enrollment(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/discrepancies.html", context)

    # The buttons of an invoice's page.
    def workflow_statuses(self, obj: SchoolInvoice) -> list[tuple[str | Promise, bool]]:
        return line_of(INVOICE_LINE, obj.status, Invoice)

    def workflow_steps(self, request: HttpRequest, obj: SchoolInvoice) -> list[str]:
        return [
            step
            for step, (_label, target) in INVOICE_STEPS.items()
            if services.INVOICE_FLOW[target] == obj.status
        ]

    def step_label(self, step: str) -> str | Promise:
        return INVOICE_STEPS[step][0]

    def take_step(
        self, request: HttpRequest, obj: SchoolInvoice, step: str, data: dict
    ) -> tuple[str, SchoolInvoice]:
        invoice = services.invoice_mark(invoice=obj, status=INVOICE_STEPS[step][1])
        return gettext("The invoice is now %(status)s.") % {
            "status": invoice.get_status_display().lower()
        }, invoice

    # The same steps for the invoices ticked in the list.
    @admin.action(description=_("Approve the selected invoices"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[SchoolInvoice]) -> None:
        apply_to_each(
            request,
            self,
            queryset.select_related("school"),
            lambda i: services.invoice_mark(invoice=i, status="approved"),
            ngettext_lazy("%(count)d invoice approved.", "%(count)d invoices approved.", "count"),
        )

    @admin.action(description=_("Mark the selected invoices paid"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[SchoolInvoice]) -> None:
        apply_to_each(
            request,
            self,
            queryset.select_related("school"),
            lambda i: services.invoice_mark(invoice=i, status="paid"),
            ngettext_lazy(
                "%(count)d invoice marked paid.", "%(count)d invoices marked paid.", "count"
            ),
        )


@admin.register(SchoolInvoiceDocument)
class SchoolInvoiceDocumentAdmin(DocumentUploadAdmin):
    list_display = ["__str__", "invoice", "uploaded_at"]
    list_select_related = ["invoice__school"]
    search_fields = ["invoice__invoice_number", "=invoice__school__code", "invoice__school__name"]
    autocomplete_fields = ["invoice"]
    identity_fields = ["invoice"]


# --- billing's steps on the enrollments' screens -------------------------------------------
SKIPPED = ngettext_lazy(
    "%(count)d enrollment skipped, computing sheets being for approved or active enrollments "
    "only: %(enrollments)s.",
    "%(count)d enrollments skipped, computing sheets being for approved or active enrollments "
    "only: %(enrollments)s.",
    "count",
)
COMPUTED = ngettext_lazy("%(count)d sheet computed.", "%(count)d sheets computed.", "count")


class SheetComputationMixin:
    """What billing adds to the enrollments' screens: the "Compute computing sheets" list
    action and, on an approved or active enrollment's page, a button to its sheet's
    computation — Finance's work (``billing.add_computingsheet``), whoever else may change
    enrollments. Enrollment knows nothing of billing: billing registers the enrollments'
    admin with this mixin (below), in place of enrollment's own."""

    actions = [*EnrollmentAdmin.actions, "compute_sheets"]

    def has_compute_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.add_computingsheet")

    def extra_steps(self, request: HttpRequest, enrollment: models.Model) -> list[Step]:
        if enrollment.status not in Enrollment.COMPUTABLE_STATUSES:
            return []
        if not self.has_compute_permission(request):
            return []
        url = reverse("admin:billing_computingsheet_compute", args=[enrollment.pk])
        return [Step(_("Compute the computing sheet"), url)]

    @admin.action(description=_("Compute computing sheets"), permissions=["compute"])
    def compute_sheets(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Compute the sheets of the enrollments ticked; those neither approved nor active
        are skipped, all named in one message with their status."""
        skipped = []

        def compute(enrollment: Enrollment) -> None:
            try:
                services.compute_sheet(enrollment=enrollment, by=request.user)
            except services.NotComputable as exc:
                skipped.append(f"{enrollment} ({exc.status.label.lower()})")
                raise apply_to_each.Skipped from exc

        computed = apply_to_each(
            request,
            self,
            queryset.select_related("student", "session", "school").order_by("pk"),
            compute,
            None,
        )
        if skipped:
            self.message_user(
                request,
                SKIPPED % {"count": len(skipped), "enrollments": "; ".join(skipped)},
                messages.WARNING,
            )
        if computed:
            self.message_user(request, COMPUTED % {"count": computed}, messages.SUCCESS)


admin.site.unregister(Enrollment)


@admin.register(Enrollment)
class EnrollmentWithSheetsAdmin(SheetComputationMixin, EnrollmentAdmin):
    """The enrollments' admin as staff and finance use it: enrollment's, with billing's
    steps (:class:`SheetComputationMixin`)."""


# Bank accounts (Finance) live in their own module.
from billing import admin_accounts, admin_payments  # noqa: E402, F401
