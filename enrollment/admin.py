from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from avataq.admin import ReadOnlyTabularInline
from documents.admin import DocumentUploadAdmin
from enrollment import checklist, services
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from scholarships.admin import StudentAdmin, StudentScopedAdmin
from scholarships.models import Student

DECIDED_READONLY = ["student", "session", "school", "program", "load", "credits", "residence"]
WORKFLOW_FIELDS = [
    "status", "submitted_at", "decided_by", "decided_at", "withdrawn_on", "status_reason",
    "created_at", "updated_at",
]  # fmt: skip


class EnrollmentAdminForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["student", "session", "school", "program", "load", "credits", "residence",
                  "notes"]  # fmt: skip

    def clean(self) -> dict:
        data = super().clean()
        session = data.get("session")
        if session and not self.instance.pk and session.scholar_year.is_closed:
            raise forms.ValidationError(
                f"Scholar year {session.scholar_year} is closed to new enrollments."
            )
        return data


def reason_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    action: str,
    form: forms.Form,
    objects: QuerySet,
    verb: str = "",
) -> TemplateResponse:
    """The intermediate page of an action that needs a reason (or more) before it applies."""
    opts = model_admin.model._meta
    verb = verb or action
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{verb.capitalize()} {opts.verbose_name_plural}",
        "action": action,
        "verb": verb,
        "form": form,
        "objects": objects,
        "opts": opts,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "changelist_url": f"admin:{opts.app_label}_{opts.model_name}_changelist",
    }
    return TemplateResponse(request, "admin/reason_action.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=True)
    effective = forms.DateField(
        required=False,
        help_text="Date the withdrawal takes effect (today if empty).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ChecklistItemInline(ReadOnlyTabularInline):
    """Items move by upload and by the review actions of their own list."""

    model = ChecklistItem
    fields = ["document_type", "status", "reason", "document", "reviewed_by", "reviewed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChecklistItem]:
        return super().get_queryset(request).select_related("document_type", "document",
                                                            "reviewed_by")  # fmt: skip


@admin.register(Enrollment)
class EnrollmentAdmin(StudentScopedAdmin, SimpleHistoryAdmin):
    form = EnrollmentAdminForm
    list_display = ["student", "session", "school", "program", "load", "status", "decided_at"]
    # Plain related filters list the (few) years, sessions, schools and communities;
    # the "related only" kind would scan every enrollment on each page load.
    list_filter = [
        "session__scholar_year",
        "session",
        "school",
        "status",
        "load",
        "residence",
        "student__community",
    ]
    list_select_related = ["student", "session", "school", "program"]
    search_fields = [
        "=student__status_no", "student__last_name", "student__first_name", "school__name",
        "=school__code",
    ]  # fmt: skip
    autocomplete_fields = ["student", "session", "school", "program"]
    readonly_fields = WORKFLOW_FIELDS
    show_full_result_count = False
    actions = ["submit", "approve", "activate", "complete", "refuse", "withdraw",
               "refresh_checklist"]  # fmt: skip
    inlines = [ChecklistItemInline]
    fieldsets = [
        (None, {"fields": ["student", "session", "school", "program"]}),
        ("Studies", {"fields": ["load", "credits", "residence", "notes"]}),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    ]

    def get_inlines(self, request: HttpRequest, obj: Enrollment | None = None) -> list:
        return self.inlines if obj is not None else []  # no checklist before it exists

    def get_readonly_fields(self, request: HttpRequest, obj: Enrollment | None = None) -> list:
        if obj is not None and obj.status not in services.EDITABLE_STATUSES:
            return DECIDED_READONLY + WORKFLOW_FIELDS
        return WORKFLOW_FIELDS

    def save_model(self, request: HttpRequest, obj: Enrollment, form, change: bool) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            obj_saved = services.enrollment_update(enrollment=obj, by=request.user, **changes)
        else:
            obj_saved = services.enrollment_create(
                by=request.user,
                **{name: form.cleaned_data[name] for name in EnrollmentAdminForm.Meta.fields},
            )
        obj.pk = obj_saved.pk

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Enrollment],
        step: Callable[..., Enrollment],
        done: str,
        **kwargs: object,
    ) -> None:
        succeeded = 0
        for enrollment in queryset.order_by("pk"):
            try:
                step(enrollment=enrollment, by=request.user, **kwargs)
            except services.EnrollmentError as exc:
                self.message_user(request, f"{enrollment}: {exc}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} enrollment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Submit the selected enrollments", permissions=["change"])
    def submit(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, services.enrollment_submit, "submitted")

    @admin.action(description="Approve the selected enrollments", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, services.enrollment_approve, "approved")

    @admin.action(description="Mark the selected enrollments active", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, services.enrollment_activate, "marked active")

    @admin.action(description="Mark the selected enrollments completed", permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, services.enrollment_complete, "completed")

    @admin.action(description="Refuse the selected enrollments…", permissions=["change"])
    def refuse(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "refuse")

    @admin.action(description="Withdraw the selected enrollments…", permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "withdraw")

    @admin.action(description="Refresh the document checklist", permissions=["change"])
    def refresh_checklist(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        for enrollment in queryset.select_related("school"):
            checklist.checklist_sync(enrollment=enrollment)
        self.message_user(request, "Checklists refreshed.", messages.SUCCESS)

    def _with_reason(
        self, request: HttpRequest, queryset: QuerySet[Enrollment], action: str
    ) -> HttpResponse | None:
        """An action that needs a reason first shows a small form, then applies."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            if action == "refuse":
                self._apply(request, queryset, services.enrollment_refuse, "refused", reason=reason)
            else:
                self._apply(
                    request, queryset, services.enrollment_withdraw, "withdrawn", reason=reason,
                    effective=form.cleaned_data["effective"],
                )  # fmt: skip
            return None
        if action == "refuse":
            form.fields.pop("effective")
        return reason_page(
            self, request, action, form, queryset.select_related("student", "session", "school")
        )


class EnrollmentInline(ReadOnlyTabularInline):
    """Enrollments change only through their own page and workflow actions."""

    model = Enrollment
    fields = ["session", "school", "program", "load", "status"]
    show_change_link = True
    ordering = ["-session__start_date"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        return super().get_queryset(request).select_related("session", "school", "program")


admin.site.unregister(Student)


@admin.register(Student)
class StudentWithEnrollmentsAdmin(StudentAdmin):
    inlines = [EnrollmentInline]
    list_filter = [
        *StudentAdmin.list_filter,
        "enrollments__session__scholar_year",
    ]


@admin.register(EnrollmentDocument)
class EnrollmentDocumentAdmin(StudentScopedAdmin, DocumentUploadAdmin):
    student_path = "enrollment__student"
    list_display = ["__str__", "enrollment", "document_type", "uploaded_at"]
    list_filter = ["document_type", "enrollment__session"]
    list_select_related = ["enrollment__student", "enrollment__session", "enrollment__school",
                           "document_type"]  # fmt: skip
    search_fields = ["=enrollment__student__status_no", "enrollment__student__last_name",
                     "original_filename"]  # fmt: skip
    autocomplete_fields = ["enrollment"]
    identity_fields = ["enrollment", "document_type"]

    def save_model(self, request: HttpRequest, obj: EnrollmentDocument, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            checklist.enrollment_document_add(
                document=obj, upload=form.cleaned_data["upload"], by=request.user
            )


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(admin.ModelAdmin):
    list_display = ["document_type", "school_kind", "load", "is_active"]
    list_filter = ["school_kind", "load", "is_active"]
    list_select_related = ["document_type"]


class ChecklistReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=True,
                             help_text="The student will read it.")  # fmt: skip


@admin.register(ChecklistItem)
class ChecklistItemAdmin(StudentScopedAdmin):
    student_path = "enrollment__student"
    list_display = ["enrollment", "document_type", "status", "document", "reviewed_by",
                    "reviewed_at"]  # fmt: skip
    list_filter = ["status", "document_type", "enrollment__session", "enrollment__school"]
    list_select_related = ["enrollment__student", "enrollment__session", "enrollment__school",
                           "document_type", "document", "reviewed_by"]  # fmt: skip
    search_fields = ["=enrollment__student__status_no", "enrollment__student__last_name"]
    readonly_fields = ["enrollment", "document_type", "status", "reason", "document",
                       "reviewed_by", "reviewed_at"]  # fmt: skip
    actions = ["accept", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _review(self, request, queryset, step, done: str, **kwargs) -> None:
        succeeded = 0
        for item in queryset.select_related("document_type").order_by("pk"):
            try:
                step(item=item, by=request.user, **kwargs)
            except checklist.ChecklistError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} document(s) {done}.", messages.SUCCESS)

    @admin.action(description="Accept the selected documents", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[ChecklistItem]) -> None:
        self._review(request, queryset, checklist.checklist_item_accept, "accepted")

    @admin.action(description="Refuse the selected documents…", permissions=["change"])
    def refuse(
        self, request: HttpRequest, queryset: QuerySet[ChecklistItem]
    ) -> HttpResponse | None:
        form = ChecklistReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._review(request, queryset, checklist.checklist_item_refuse, "refused",
                         reason=form.cleaned_data["reason"])  # fmt: skip
            return None
        return reason_page(
            self, request, "refuse", form,
            queryset.select_related("enrollment__student", "document_type"),
        )  # fmt: skip
