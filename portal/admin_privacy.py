"""Privacy screens: requests and their exports, corrections, the retention schedule and
what it destroyed, the incident register, the alerts and notices accepted."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from avataq.admin import ReadOnlyAdmin, guarded_view
from avataq.errors import AvataqError
from enrollment.admin import RefuseForm, reason_page
from portal.models import (
    ConfidentialityIncident,
    CorrectionRequest,
    DataRequest,
    DestructionRecord,
    NoticeAcceptance,
    PrivacyAlert,
    RetentionRule,
)
from portal.services import privacy, retention


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("What was answered"), widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    """A written request is recorded here (the 30-day deadline follows); an access or
    portability request gets its export, downloaded from its page for 60 seconds."""

    list_display = ["received_on", "student", "kind", "channel", "status", "due_on", "late"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["=student__status_no", "student__last_name"]
    list_select_related = ["student"]
    autocomplete_fields = ["student"]
    date_hierarchy = "received_on"
    actions = ["close_answered", "close_refused", "build_export"]
    fields = ["student", "kind", "channel", "received_on", "details", "handled_by"]
    readonly_fields = ["due_on", "status", "answer", "closed_at", "export"]

    def get_fields(self, request: HttpRequest, obj: DataRequest | None = None) -> list:
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: DataRequest | None = None) -> list:
        return self.readonly_fields if obj is None else [*self.fields, *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(boolean=True, description=_("late"))
    def late(self, obj: DataRequest) -> bool:
        return obj.is_late

    @admin.display(description=_("export"))
    def export(self, obj: DataRequest) -> str:
        if not obj.export_key:
            return "—"
        url = reverse("admin:portal_datarequest_export", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> ({})',
            url,
            gettext("Download (link valid 60 seconds)"),
            obj.export_built_at,
        )

    def save_model(self, request: HttpRequest, obj: DataRequest, form, change: bool) -> None:
        if change:
            return  # a recorded request changes through its actions only
        created = privacy.data_request_create(
            student=obj.student,
            kind=obj.kind,
            channel=obj.channel,
            received_on=obj.received_on,
            details=obj.details,
            by=request.user,
        )
        obj.pk = created.pk

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/export/",
                guarded_view(self, self.export_view),
                name="portal_datarequest_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        data_request = get_object_or_404(DataRequest.objects.select_related("student"), pk=pk)
        try:
            return redirect(privacy.data_export_url(request=data_request))
        except AvataqError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect("admin:portal_datarequest_change", pk)

    @admin.action(description=_("Build the export again"), permissions=["change"])
    def build_export(self, request: HttpRequest, queryset: QuerySet[DataRequest]) -> None:
        from avataq.queue import publish
        from portal.tasks import data_export_build_task

        for data_request in queryset:
            publish(data_export_build_task, data_request.pk)
        self.message_user(request, gettext("The exports are being built."), messages.INFO)

    def _close(self, request: HttpRequest, queryset: QuerySet, *, refused: bool, action: str):
        form_class = RefuseForm if refused else AnswerForm
        form = form_class(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            button = gettext("Refuse") if refused else gettext("Close")
            return reason_page(self, request, action, form, queryset, button)
        text = form.cleaned_data["reason" if refused else "answer"]
        for data_request in queryset:
            try:
                privacy.data_request_close(
                    request=data_request, by=request.user, answer=text, refused=refused
                )
            except AvataqError as exc:
                self.message_user(request, f"{data_request}: {exc}", messages.ERROR)
        return None

    @admin.action(description=_("Close as answered…"), permissions=["change"])
    def close_answered(self, request: HttpRequest, queryset: QuerySet[DataRequest]):
        return self._close(request, queryset, refused=False, action="close_answered")

    @admin.action(description=_("Refuse…"), permissions=["change"])
    def close_refused(self, request: HttpRequest, queryset: QuerySet[DataRequest]):
        return self._close(request, queryset, refused=True, action="close_refused")


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "student", "field", "current_value", "proposed_value", "status"]
    list_filter = ["status", "field"]
    search_fields = ["=student__status_no", "student__last_name"]
    list_select_related = ["student"]
    actions = ["accept", "refuse"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Needed for the actions; every field stays read-only.
        return request.user.has_perm("portal.change_correctionrequest")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        return [f.name for f in CorrectionRequest._meta.fields]

    @admin.action(description=_("Accept and correct the record"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[CorrectionRequest]) -> None:
        for correction in queryset.select_related("student"):
            try:
                privacy.correction_accept(correction=correction, by=request.user)
            except AvataqError as exc:
                self.message_user(request, f"{correction}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, gettext("%(c)s: corrected.") % {"c": correction}, messages.SUCCESS
                )

    @admin.action(description=_("Refuse…"), permissions=["change"])
    def refuse(self, request: HttpRequest, queryset: QuerySet[CorrectionRequest]):
        form = RefuseForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return reason_page(self, request, "refuse", form, queryset, gettext("Refuse"))
        for correction in queryset:
            try:
                privacy.correction_refuse(
                    correction=correction, by=request.user, reason=form.cleaned_data["reason"]
                )
            except AvataqError as exc:
                self.message_user(request, f"{correction}: {exc}", messages.ERROR)
        return None


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "years", "is_active"]
    fields = ["kind", "years", "is_active", "notes"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one rule per kind, created with the defaults

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RetentionRule, form, change: bool) -> None:
        retention.retention_rule_update(
            rule=obj, years=obj.years, is_active=obj.is_active, notes=obj.notes
        )


@admin.register(DestructionRecord)
class DestructionRecordAdmin(ReadOnlyAdmin):
    """What was destroyed; and the privacy officer's screen for what is due: the list (the
    dry run), then "Destroy what is due" behind a confirmation page."""

    list_display = ["destroyed_at", "kind", "years", "student_id_ref", "confirmed_by"]
    list_filter = ["kind"]
    search_fields = ["=student_id_ref"]
    list_select_related = ["confirmed_by"]
    date_hierarchy = "destroyed_at"
    change_list_template = "admin/portal/destructionrecord/change_list.html"

    def has_confirm_destruction_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("portal.confirm_destruction")

    def get_urls(self) -> list:
        guard = {"action": "confirm_destruction"}
        return [
            path(
                "due/",
                guarded_view(self, self.due_view, **guard),
                name="portal_destructionrecord_due",
            ),
            path(
                "due/destroy/",
                guarded_view(self, self.destroy_view, **guard),
                name="portal_destructionrecord_destroy",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra = {"due_url": None}
        if self.has_confirm_destruction_permission(request):
            extra["due_url"] = reverse("admin:portal_destructionrecord_due")
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def _due_page(self, request: HttpRequest, *, confirming: bool) -> HttpResponse:
        due = retention.retention_due()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Destroy what is due?") if confirming else gettext("What is due"),
            "due": due,
            "fingerprint": retention.due_fingerprint(due),
            "confirming": confirming,
        }
        return TemplateResponse(request, "admin/portal/destructionrecord/due.html", context)

    def due_view(self, request: HttpRequest) -> HttpResponse:
        """What the retention schedule makes due today: nothing is destroyed here."""
        return self._due_page(request, confirming=False)

    def destroy_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the confirmation page (the list again). POST: destroy exactly the list the
        page showed, confirmed by the signed-in user."""
        if request.method != "POST":
            return self._due_page(request, confirming=True)
        try:
            records, problems = retention.retention_apply(
                by=request.user, reviewed=request.POST.get("fingerprint", "")
            )
        except AvataqError as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return redirect("admin:portal_destructionrecord_due")
        if records:
            self.message_user(
                request,
                ngettext(
                    "%(count)d item destroyed or anonymised.",
                    "%(count)d items destroyed or anonymised.",
                    len(records),
                )
                % {"count": len(records)},
                messages.SUCCESS,
            )
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        if not records and not problems:
            self.message_user(request, gettext("Nothing was due."), messages.INFO)
        return redirect("admin:portal_destructionrecord_changelist")


@admin.register(ConfidentialityIncident)
class ConfidentialityIncidentAdmin(admin.ModelAdmin):
    list_display = [
        "discovered_on",
        "nature",
        "risk",
        "regulator_notified_on",
        "people_notified_on",
        "recorded_by",
    ]
    list_filter = ["risk"]
    search_fields = ["nature", "information"]
    autocomplete_fields = ["students"]
    list_select_related = ["recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]
    fieldsets = [
        (None, {"fields": ["occurred_on", "discovered_on", "nature", "information"]}),
        (_("People concerned"), {"fields": ["students", "people_count"]}),
        (_("Risk"), {"fields": ["risk", "risk_assessment", "measures"]}),
        (_("Notifications"), {"fields": ["regulator_notified_on", "people_notified_on"]}),
        (_("Record"), {"fields": ["recorded_by", "recorded_at"]}),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """Saved with its people by :meth:`save_related` (one service call)."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        saved = privacy.incident_save(
            incident=form.instance,
            students=list(form.cleaned_data["students"]),
            by=request.user,
        )
        form.instance = saved


@admin.register(PrivacyAlert)
class PrivacyAlertAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "files", "created_at"]
    list_select_related = ["user"]
    date_hierarchy = "day"


@admin.register(NoticeAcceptance)
class NoticeAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["accepted_at", "account", "version"]
    list_filter = ["version"]
    search_fields = ["account__email"]
    list_select_related = ["account"]
