from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from avataq.admin import ReadOnlyTabularInline, apply_to_each, guarded_view
from avataq.errors import AvataqError
from documents.admin import DocumentUploadAdmin
from enrollment import checklist, services
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from scholarships.admin import HistoryAdmin, StudentAdmin, StudentScopedAdmin
from scholarships.models import Student

DECIDED_READONLY = ["student", "session", "school", "program", "load", "credits", "residence"]
WORKFLOW_FIELDS = [
    "status",
    "submitted_at",
    "decided_by",
    "decided_at",
    "withdrawn_on",
    "status_reason",
    "created_at",
    "updated_at",
]


# --- workflow buttons on a record's own page ---------------------------------------------
@dataclass(frozen=True)
class Step:
    """A button of a record's page: a step of its workflow the user may take now."""

    label: str | Promise
    url: str
    fields: tuple[tuple[str, object], ...] = ()  # posted with it (the document shown…)
    primary: bool = False


class WorkflowAdmin(admin.ModelAdmin):
    """A record's page shows, above its form, where the record stands in its workflow and
    a button for each step the user may take from there (like Odoo's status bar): only
    steps legal from the current status, only for a user who may change that record.

    Each button posts (with its CSRF token) to ``<id>/step/<step>/``; a step listed in
    ``step_forms`` first answers with a small page asking for more (a reason, a date),
    then applies. Steps run services; a service's error becomes a message in the user's
    language, and the record's page comes back."""

    change_form_template = "admin/workflow_change_form.html"
    step_forms: dict[str, type[forms.Form]] = {}

    # What a subclass says.
    def workflow_statuses(self, obj: models.Model) -> list[tuple[str | Promise, bool]]:
        """The statuses to show, in order, each with whether it is the record's."""
        raise NotImplementedError

    def workflow_steps(self, request: HttpRequest, obj: models.Model) -> list[str]:
        """The steps legal from the record's status (the user may change the record)."""
        raise NotImplementedError

    def step_label(self, step: str) -> str | Promise:
        raise NotImplementedError

    def step_fields(self, obj: models.Model) -> tuple[tuple[str, object], ...]:
        """Hidden fields every step of this record posts (what the page showed)."""
        return ()

    def take_step(
        self, request: HttpRequest, obj: models.Model, step: str, data: dict
    ) -> tuple[str, models.Model]:
        """Run the step's service; (the message saying it is done, the record to show)."""
        raise NotImplementedError

    # The page and its buttons.
    def extra_steps(self, request: HttpRequest, obj: models.Model) -> list[Step]:
        """Buttons that lead to another model's steps (billing adds its own)."""
        return []

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        if change and obj is not None:
            steps = []
            if self.has_change_permission(request, obj):
                fields = self.step_fields(obj)
                steps = [
                    Step(self.step_label(step), self._step_url(obj, step), fields, primary=i == 0)
                    for i, step in enumerate(self.workflow_steps(request, obj))
                ]
            context["workflow"] = {
                "statuses": self.workflow_statuses(obj),
                "steps": steps + self.extra_steps(request, obj),
            }
            if _nothing_to_save(context):
                # Every field is read-only (it changes through the steps): a Save button
                # would save nothing.
                context.update(
                    show_save=False, show_save_and_continue=False, show_save_and_add_another=False
                )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _step_url(self, obj: models.Model, step: str) -> str:
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_step", args=[obj.pk, step])

    def get_urls(self) -> list:
        opts = self.opts
        return [
            path(
                "<path:object_id>/step/<str:step>/",
                guarded_view(self, self.step_view, action="change"),
                name=f"{opts.app_label}_{opts.model_name}_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))  # the user's records only
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            self.step_label(step)
        except KeyError:
            raise Http404 from None
        data: dict = {}
        if step in self.step_forms:
            form = self.step_forms[step](request.POST if "apply" in request.POST else None)
            if not (form.is_bound and form.is_valid()):
                return self.step_page(request, obj, step, form)
            data = form.cleaned_data
        try:
            done, shown = self.take_step(request, obj, step, data)
        except AvataqError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            shown = obj
        else:
            self.message_user(request, done, messages.SUCCESS)
        opts = shown._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", shown.pk)

    def step_page(
        self, request: HttpRequest, obj: models.Model, step: str, form: forms.Form
    ) -> TemplateResponse:
        """The small page a step asks its questions on."""
        label = str(self.step_label(step)).rstrip("…")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("%(step)s: %(object)s") % {"step": label, "object": obj},
            "subtitle": None,
            "step_label": label,
            "form": form,
            "object": obj,
            "fields": self.step_fields(obj),
            "opts": self.opts,
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
            ),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/workflow_step.html", context)


def _nothing_to_save(context: dict) -> bool:
    """The page's form and inlines have no field left to edit."""
    if context["adminform"].form.fields:
        return False
    return not any(inline.formset.form.base_fields for inline in context["inline_admin_formsets"])


# --- the list actions' page asking for a reason ------------------------------------------
def reason_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    action: str,
    form: forms.Form,
    objects: QuerySet,
    button: str | Promise,
    carried: tuple[tuple[str, object], ...] = (),
) -> TemplateResponse:
    """The intermediate page of an action that needs a reason (or more) before it applies,
    titled as the action; ``carried`` are fields the list posted that the action needs
    again (what the list showed)."""
    opts = model_admin.model._meta
    description = model_admin.get_actions(request)[action][2]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": str(description).rstrip("…"),
        "action": action,
        "button": button,
        "form": form,
        "objects": objects,
        "carried": carried,
        "opts": opts,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "changelist_url": f"admin:{opts.app_label}_{opts.model_name}_changelist",
    }
    return TemplateResponse(request, "admin/reason_action.html", context)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


class WithdrawForm(RefuseForm):
    effective = forms.DateField(
        label=_("Withdrawn on"),
        required=False,
        help_text=_("Date the withdrawal takes effect (today if empty)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


# --- enrollments -----------------------------------------------------------------------
class EnrollmentAdminForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        # What staff may edit is what enrollment_update accepts: one list, in the service.
        fields = list(services.UPDATABLE_FIELDS)

    class Media:
        # The program picker offers the programs of the school chosen beside it.
        js = ["avataq/admin/program_by_school.js"]

    def clean(self) -> dict:
        data = super().clean()
        session = data.get("session")
        if session and not self.instance.pk and session.scholar_year.is_closed:
            raise forms.ValidationError(
                gettext("Scholar year %(year)s is closed to new enrollments.")
                % {"year": session.scholar_year}
            )
        return data


class ChecklistItemInline(ReadOnlyTabularInline):
    """Items move by upload and by the review buttons of their own page."""

    model = ChecklistItem
    fields = ["document_type", "status", "reason", "document", "reviewed_by", "reviewed_at"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChecklistItem]:
        return (
            super().get_queryset(request).select_related("document_type", "document", "reviewed_by")
        )


# The workflow's main line, as the status bar shows it; a closed status shows at its end.
ENROLLMENT_LINE = [
    Enrollment.Status.DRAFT,
    Enrollment.Status.SUBMITTED,
    Enrollment.Status.APPROVED,
    Enrollment.Status.ACTIVE,
    Enrollment.Status.COMPLETED,
]
ENROLLMENT_STEPS: dict[str, Callable[..., Enrollment]] = {
    "submit": services.enrollment_submit,
    "approve": services.enrollment_approve,
    "activate": services.enrollment_activate,
    "complete": services.enrollment_complete,
    "refuse": services.enrollment_refuse,
    "withdraw": services.enrollment_withdraw,
}
# The list actions' messages, by step.
ENROLLMENT_DONE = {
    "submit": ngettext_lazy(
        "%(count)d enrollment submitted.", "%(count)d enrollments submitted.", "count"
    ),
    "approve": ngettext_lazy(
        "%(count)d enrollment approved.", "%(count)d enrollments approved.", "count"
    ),
    "activate": ngettext_lazy(
        "%(count)d enrollment marked active.", "%(count)d enrollments marked active.", "count"
    ),
    "complete": ngettext_lazy(
        "%(count)d enrollment completed.", "%(count)d enrollments completed.", "count"
    ),
    "refuse": ngettext_lazy(
        "%(count)d enrollment refused.", "%(count)d enrollments refused.", "count"
    ),
    "withdraw": ngettext_lazy(
        "%(count)d enrollment withdrawn.", "%(count)d enrollments withdrawn.", "count"
    ),
}
REVIEWED = {
    "accept": ngettext_lazy(
        "%(count)d document accepted.", "%(count)d documents accepted.", "count"
    ),
    "refuse": ngettext_lazy("%(count)d document refused.", "%(count)d documents refused.", "count"),
}


def line_of(
    statuses: list, current: str, labels: type[models.TextChoices]
) -> list[tuple[str | Promise, bool]]:
    """A status bar: the main line, and the current status at its end when it is off it."""
    shown = [*statuses, *([current] if current not in statuses else [])]
    return [(labels(status).label, status == current) for status in shown]


@admin.register(Enrollment)
class EnrollmentAdmin(StudentScopedAdmin, WorkflowAdmin, HistoryAdmin):
    form = EnrollmentAdminForm
    # What people scan for first: who, which session, where it stands; then the rest.
    list_display = ["student", "session", "status", "school_code", "program", "load", "decided_at"]
    # Plain related filters list the (few) years, sessions, schools and communities;
    # the "related only" kind would scan every enrollment on each page load.
    list_filter = [
        "status",
        "session__scholar_year",
        "session",
        "school",
        "load",
        "residence",
        "student__community",
    ]
    list_select_related = ["student", "session", "school", "program"]
    search_fields = [
        "=student__status_no",
        "student__last_name",
        "student__first_name",
        "school__name",
        "=school__code",
    ]
    autocomplete_fields = ["student", "session", "school", "program"]
    readonly_fields = WORKFLOW_FIELDS
    show_full_result_count = False
    actions = [
        "submit",
        "approve",
        "activate",
        "complete",
        "refuse",
        "withdraw",
        "refresh_checklist",
    ]
    inlines = [ChecklistItemInline]
    fieldsets = [
        (None, {"fields": ["student", "session", "school", "program"]}),
        (_("Studies"), {"fields": ["load", "credits", "residence", "notes"]}),
        (_("Workflow"), {"fields": WORKFLOW_FIELDS}),
    ]
    step_forms = {"refuse": RefuseForm, "withdraw": WithdrawForm}

    @admin.display(description=_("school"), ordering="school__code")
    def school_code(self, enrollment: Enrollment) -> str:
        return format_html(
            '<span title="{}">{}</span>', enrollment.school.name, enrollment.school.code
        )

    def get_inlines(self, request: HttpRequest, obj: Enrollment | None = None) -> list:
        return self.inlines if obj is not None else []  # no checklist before it exists

    def get_readonly_fields(self, request: HttpRequest, obj: Enrollment | None = None) -> list:
        if obj is not None and obj.status not in Enrollment.EDITABLE_STATUSES:
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

    # The buttons of an enrollment's page.
    def workflow_statuses(self, obj: Enrollment) -> list[tuple[str | Promise, bool]]:
        return line_of(ENROLLMENT_LINE, obj.status, Enrollment.Status)

    def workflow_steps(self, request: HttpRequest, obj: Enrollment) -> list[str]:
        return services.steps_from(obj.status)

    def step_label(self, step: str) -> str | Promise:
        return services.STEP_LABELS[step]

    def take_step(
        self, request: HttpRequest, obj: Enrollment, step: str, data: dict
    ) -> tuple[str, Enrollment]:
        enrollment = ENROLLMENT_STEPS[step](enrollment=obj, by=request.user, **data)
        return (
            gettext("The enrollment is now %(status)s.")
            % {"status": enrollment.get_status_display().lower()},
            enrollment,
        )

    # The same steps for the enrollments ticked in the list.
    def _apply(
        self, request: HttpRequest, queryset: QuerySet[Enrollment], step: str, **kwargs: object
    ) -> None:
        apply_to_each(
            request,
            self,
            queryset.select_related("student", "session", "school").order_by("pk"),
            lambda enrollment: ENROLLMENT_STEPS[step](
                enrollment=enrollment, by=request.user, **kwargs
            ),
            ENROLLMENT_DONE[step],
        )

    @admin.action(description=_("Submit the selected enrollments"), permissions=["change"])
    def submit(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, "submit")

    @admin.action(description=_("Approve the selected enrollments"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, "approve")

    @admin.action(description=_("Mark the selected enrollments active"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, "activate")

    @admin.action(description=_("Mark the selected enrollments completed"), permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._apply(request, queryset, "complete")

    @admin.action(description=_("Refuse the selected enrollments…"), permissions=["change"])
    def refuse(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "refuse", _("Refuse"))

    @admin.action(description=_("Withdraw the selected enrollments…"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "withdraw", _("Withdraw"))

    @admin.action(description=_("Refresh the document checklist"), permissions=["change"])
    def refresh_checklist(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        for enrollment in queryset.select_related("school"):
            checklist.checklist_sync(enrollment=enrollment, by=request.user)
        self.message_user(request, gettext("Checklists refreshed."), messages.SUCCESS)

    def _with_reason(
        self, request: HttpRequest, queryset: QuerySet[Enrollment], step: str, button: Promise
    ) -> HttpResponse | None:
        """An action that needs a reason first shows a small form, then applies."""
        form = self.step_forms[step](request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._apply(request, queryset, step, **form.cleaned_data)
            return None
        return reason_page(
            self,
            request,
            step,
            form,
            queryset.select_related("student", "session", "school"),
            button,
        )


class EnrollmentInline(ReadOnlyTabularInline):
    """Enrollments change only through their own page and workflow buttons."""

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
    list_select_related = [
        "enrollment__student",
        "enrollment__session",
        "enrollment__school",
        "document_type",
    ]
    search_fields = [
        "=enrollment__student__status_no",
        "enrollment__student__last_name",
        "original_filename",
    ]
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


# --- checklist items -----------------------------------------------------------------------
class ChecklistReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
        help_text=_("The student will read it."),
    )


SEEN = "seen-{}"  # the list's hidden field: the document a row showed, by item


def seen_document(data: dict, item: ChecklistItem) -> int:
    """The id of the document the reviewer's page showed for ``item`` (0: none, or a page
    that did not say: any document there now is then one they have not seen)."""
    raw = str(data.get(SEEN.format(item.pk), ""))
    return int(raw) if raw.isdigit() else 0


CHECKLIST_LINE = [
    ChecklistItem.Status.MISSING,
    ChecklistItem.Status.RECEIVED,
    ChecklistItem.Status.ACCEPTED,
]
REVIEWS = {
    # step: (label, statuses it may start from, the service)
    "accept": (
        _("Accept"),
        {ChecklistItem.Status.RECEIVED, ChecklistItem.Status.REFUSED},
        checklist.checklist_item_accept,
    ),
    "refuse": (
        _("Refuse…"),
        {ChecklistItem.Status.RECEIVED, ChecklistItem.Status.ACCEPTED},
        checklist.checklist_item_refuse,
    ),
}


@admin.register(ChecklistItem)
class ChecklistItemAdmin(StudentScopedAdmin, WorkflowAdmin, HistoryAdmin):
    student_path = "enrollment__student"
    list_display = [
        "student",
        "session",
        "document_type",
        "status",
        "document_shown",
        "reviewed_by",
        "reviewed_at",
    ]
    list_filter = ["status", "document_type", "enrollment__session", "enrollment__school"]
    list_select_related = [
        "enrollment__student",
        "enrollment__session",
        "document_type",
        "document",
        "reviewed_by",
    ]
    search_fields = ["=enrollment__student__status_no", "enrollment__student__last_name"]
    readonly_fields = [
        "enrollment",
        "document_type",
        "status",
        "reason",
        "document_shown",
        "reviewed_by",
        "reviewed_at",
    ]
    fields = readonly_fields
    actions = ["accept", "refuse"]
    step_forms = {"refuse": ChecklistReasonForm}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("student"), ordering="enrollment__student__last_name")
    def student(self, item: ChecklistItem) -> Student:
        return item.enrollment.student

    @admin.display(description=_("session"), ordering="enrollment__session")
    def session(self, item: ChecklistItem) -> str:
        return str(item.enrollment.session)

    @admin.display(description=_("document"))
    def document_shown(self, item: ChecklistItem) -> str:
        """The document the row (or page) shows, with what a review posts to say so."""
        hidden = format_html(
            '<input type="hidden" name="{}" value="{}">',
            SEEN.format(item.pk),
            item.document_id or "",
        )
        if item.document is None:
            return format_html("—{}", hidden)
        url = reverse("admin:enrollment_enrollmentdocument_change", args=[item.document_id])
        name = item.document.original_filename or item.document.key
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">({})</span>{}',
            url,
            name,
            timezone.localtime(item.document.uploaded_at).strftime("%Y-%m-%d %H:%M")
            if item.document.uploaded_at
            else "",
            hidden,
        )

    # The buttons of an item's page: they post the document the page shows.
    def workflow_statuses(self, obj: ChecklistItem) -> list[tuple[str | Promise, bool]]:
        return line_of(CHECKLIST_LINE, obj.status, ChecklistItem.Status)

    def workflow_steps(self, request: HttpRequest, obj: ChecklistItem) -> list[str]:
        return [step for step, review in REVIEWS.items() if obj.status in review[1]]

    def step_label(self, step: str) -> str | Promise:
        return REVIEWS[step][0]

    def step_fields(self, obj: ChecklistItem) -> tuple[tuple[str, object], ...]:
        return ((SEEN.format(obj.pk), obj.document_id or ""),)

    def take_step(
        self, request: HttpRequest, obj: ChecklistItem, step: str, data: dict
    ) -> tuple[str, ChecklistItem]:
        item = REVIEWS[step][2](
            item=obj, by=request.user, document_id=seen_document(request.POST, obj), **data
        )
        return (
            gettext("%(type)s is now %(status)s.")
            % {"type": item.document_type.label(), "status": item.get_status_display().lower()},
            item,
        )

    # The same reviews for the items ticked in the list.
    def _review(
        self, request: HttpRequest, queryset: QuerySet, step: str, data: dict, **kwargs
    ) -> None:
        apply_to_each(
            request,
            self,
            queryset.select_related("document_type").order_by("pk"),
            lambda item: REVIEWS[step][2](
                item=item, by=request.user, document_id=seen_document(data, item), **kwargs
            ),
            REVIEWED[step],
            name=lambda item: item.document_type.label(),
        )

    @admin.action(description=_("Accept the selected documents"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[ChecklistItem]) -> None:
        self._review(request, queryset, "accept", request.POST)

    @admin.action(description=_("Refuse the selected documents…"), permissions=["change"])
    def refuse(
        self, request: HttpRequest, queryset: QuerySet[ChecklistItem]
    ) -> HttpResponse | None:
        form = ChecklistReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._review(
                request, queryset, "refuse", request.POST, reason=form.cleaned_data["reason"]
            )
            return None
        items = queryset.select_related("enrollment__student", "document_type")
        carried = tuple(
            (SEEN.format(item.pk), request.POST.get(SEEN.format(item.pk), "")) for item in items
        )
        return reason_page(self, request, "refuse", form, items, _("Refuse"), carried=carried)
