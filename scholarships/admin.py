import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from avataq.admin import ReadOnlyAdmin, guarded_view
from avataq.http import client_ip
from documents.admin import DocumentUploadAdmin
from scholarships import selectors, services
from scholarships.models import (
    Community,
    Program,
    ScholarYear,
    School,
    Session,
    Student,
    StudentDocument,
    StudentRecordAccess,
)
from scholarships.permissions import can_assign_student, scope_to_students, sees_all_students

DATE_OF_BIRTH = "scholarships.view_date_of_birth"


class HistoryAdmin(SimpleHistoryAdmin):
    """*History* that says what changed: for each change, who and when, and every field
    it touched, old → new, by the field's label, with choice labels, related records by
    name and dates and amounts as the reader's language writes them.

    simple-history's ``diff_against`` compares only editable fields, and the workflow
    fields (an enrollment's status, who decided) are not editable on purpose: the fields
    are compared here, all of them but the automatic time stamps. A fixed number of
    queries whatever the number of changes: related records are named in one query per
    model, and the oldest change of a page is compared with the first of the next."""

    object_history_list_template = "admin/history_changes.html"
    # Fields whose values only the holders of a permission read: their changes are
    # listed, their values shown as "hidden" to everyone else.
    field_permissions: dict[str, str] = {}

    def history_view_title(self, request: HttpRequest, obj: models.Model) -> str:
        return gettext("History: %(object)s") % {"object": obj}

    def get_history_queryset(
        self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any
    ) -> QuerySet:
        # Related records are named by set_history_delta_changes, a query per model; the
        # default join of every foreign key would name them one row at a time.
        return history_manager.filter(**{pk_name: object_id}).select_related("history_user")

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        records = list(historical_records)
        if isinstance(historical_records, Page) and historical_records.has_next():
            # The page's oldest change is compared with the record before it.
            paginator = historical_records.paginator
            records.append(paginator.object_list[historical_records.end_index()])
        fields = self._compared_fields()
        pairs = [
            (newer, older, [f for f in fields if _value(newer, f) != _value(older, f)])
            for newer, older in itertools.pairwise(records)
        ]
        names = _related_names(
            (f, _value(record, f))
            for newer, older, changed in pairs
            for f in changed
            if f.is_relation
            for record in (newer, older)
        )
        hidden = {
            name
            for name, permission in self.field_permissions.items()
            if not request.user.has_perm(permission)
        }

        def shown(f: models.Field, record: models.Model) -> str:
            return gettext("hidden") if f.name in hidden else _shown(f, _value(record, f), names)

        for newer, older, changed in pairs:
            newer.history_delta_changes = [
                {"field": capfirst(f.verbose_name), "old": shown(f, older), "new": shown(f, newer)}
                for f in changed
            ]

    def _compared_fields(self) -> list[models.Field]:
        tracked = {f.name for f in self.model.history.model.tracked_fields}
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name in tracked
            and not f.primary_key
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]


def _value(record: models.Model, field: models.Field) -> Any:
    return getattr(record, field.attname)


def _related_names(values: Iterable[tuple[models.Field, Any]]) -> dict[tuple, str]:
    """(related model, pk) → the record's name, in one query per related model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for field, pk in values:
        if pk is not None:
            wanted[field.related_model].add(pk)
    return {
        (model, pk): str(obj)
        for model, pks in wanted.items()
        for pk, obj in model._base_manager.select_related().in_bulk(pks).items()
    }


def _shown(field: models.Field, value: Any, names: dict[tuple, str]) -> str:
    """A field's value as a person reads it, in the active language."""
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return names.get((field.related_model, value), gettext("#%(id)s (deleted)") % {"id": value})
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return formats.localize(timezone.localtime(value))
    if isinstance(value, dt.date | Decimal | int):
        return formats.localize(value)
    return Truncator(str(value)).chars(120)


def person_name(user: models.Model) -> str:
    """A staff user as people know them: their full name, else their username."""
    return user.get_full_name() or user.get_username()


class PersonListFilter(admin.RelatedFieldListFilter):
    """A filter by user (the counsellor…), each named as people know them."""

    def field_choices(self, field, request: HttpRequest, model_admin) -> list[tuple[object, str]]:
        users = field.related_model._default_manager.complex_filter(field.get_limit_choices_to())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            users = users.order_by(*ordering)
        return [(user.pk, person_name(user)) for user in users]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "coast"]
    list_filter = ["coast"]
    search_fields = ["name", "code"]


class StudentScopedAdmin(admin.ModelAdmin):
    """A model whose rows belong to a student (``student_path`` leads there): a user who
    may not work on every student (a counsellor) lists, opens, searches, autocompletes and
    picks only their own students' rows, and another student's answers as missing —
    history pages included. Foreign keys to a scoped model offer only the visible rows."""

    student_path = "student"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_students(super().get_queryset(request), request.user, self.student_path)

    def _in_scope(self, request: HttpRequest, obj: object | None) -> bool:
        if obj is None or sees_all_students(request.user):
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        related = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related, StudentScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Student)
class StudentAdmin(StudentScopedAdmin, HistoryAdmin):
    list_display = [
        "status_no",
        "last_name",
        "first_name",
        "date_of_birth",
        "community",
        "counsellor_name",
        "is_active",
    ]
    list_display_links = ["status_no", "last_name"]
    list_filter = [
        "is_active",
        "community",
        "community__coast",
        "marital_status",
        ("counsellor", PersonListFilter),
    ]
    list_select_related = ["community", "counsellor"]
    search_fields = ["=status_no", "last_name", "first_name", "email"]
    autocomplete_fields = ["community", "user", "counsellor"]
    readonly_fields = ["created_at", "updated_at", "counsellor_name"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["status_no", ("first_name", "last_name"), "date_of_birth"]}),
        (_("Contact"), {"fields": ["email", "phone", "community"]}),
        (_("Family"), {"fields": ["marital_status", "dependants"]}),
        (_("Follow-up"), {"fields": ["counsellor", "user", "is_active"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    student_path = "pk"
    ASSIGNMENT_FIELDS = ["counsellor", "user"]
    field_permissions = {"date_of_birth": DATE_OF_BIRTH}

    def get_readonly_fields(self, request: HttpRequest, obj: Student | None = None) -> list:
        fields = list(super().get_readonly_fields(request, obj))
        if not can_assign_student(request.user):
            fields += self.ASSIGNMENT_FIELDS  # who follows a student is Staff's decision
        return fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "counsellor" and field is not None:
            field.label_from_instance = person_name
        return field

    @admin.display(description=_("counsellor"), ordering="counsellor__last_name")
    def counsellor_name(self, student: Student) -> str:
        if student.counsellor is None:
            return self.get_empty_value_display()
        return person_name(student.counsellor)

    def save_model(self, request: HttpRequest, obj: Student, form, change: bool) -> None:
        services.student_save(student=obj, by=request.user)

    # --- dates of birth: only to the roles that need them -------------------------------
    def _sees_date_of_birth(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DATE_OF_BIRTH)

    def get_list_display(self, request: HttpRequest) -> list:
        shown = list(super().get_list_display(request))
        return (
            shown
            if self._sees_date_of_birth(request)
            else [f for f in shown if f != "date_of_birth"]
        )

    def get_fieldsets(self, request: HttpRequest, obj: Student | None = None) -> list:
        """Read-only, the counsellor shows by name (a read-only user shows its username);
        the date of birth only to the roles that need it."""
        assigns = can_assign_student(request.user)
        hidden = set() if self._sees_date_of_birth(request) or obj is None else {"date_of_birth"}

        def shown(field: object) -> object:
            return "counsellor_name" if field == "counsellor" and not assigns else field

        return [
            (
                name,
                {
                    **options,
                    "fields": [shown(field) for field in options["fields"] if field not in hidden],
                },
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_fields(self, request: HttpRequest, obj: Student | None = None) -> list:
        fields = list(super().get_fields(request, obj))
        if self._sees_date_of_birth(request) or obj is None:
            return fields
        return [f for f in fields if f != "date_of_birth"]

    # --- who opened the record ----------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_opened(request, response, object_id, StudentRecordAccess.View.RECORD)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._log_opened(request, response, object_id, StudentRecordAccess.View.HISTORY)
        return response

    def _log_opened(
        self, request: HttpRequest, response: HttpResponse, object_id: str, view: str
    ) -> None:
        """A record shown (200 to a GET) is logged: who, when, which, from where."""
        if request.method != "GET" or response.status_code != 200:
            return
        student_id = unquote(object_id)
        if not str(student_id).isdigit():
            return
        services.student_record_access_log(
            student_id=int(student_id),
            user=request.user,
            view=view,
            ip_address=client_ip(request),
        )

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/accesses/",
                guarded_view(self, self.accesses_view),
                name="scholarships_student_accesses",
            ),
            *super().get_urls(),
        ]

    def accesses_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The per-student access report: every opening of the record and every download
        of its documents, with who and when."""
        if not request.user.has_perm("scholarships.view_studentrecordaccess"):
            raise PermissionDenied
        student = self.get_object(request, str(pk))
        if student is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": student,
            "title": gettext("Who opened the file of %(student)s") % {"student": student},
            "records": selectors.student_record_openings(student),
            "downloads": selectors.student_document_downloads(student),
        }
        return TemplateResponse(request, "admin/scholarships/student_accesses.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.has_perm("scholarships.view_studentrecordaccess"):
            context["accesses_url"] = reverse("admin:scholarships_student_accesses", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)


class ProgramInline(admin.TabularInline):
    model = Program
    extra = 0
    fields = ["name", "level", "is_active"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "city", "province", "is_active"]
    list_filter = ["kind", "province", "is_active"]
    search_fields = ["name", "code", "city"]
    inlines = [ProgramInline]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "level", "is_active"]
    list_filter = ["level", "school__kind", "is_active"]
    list_select_related = ["school"]
    search_fields = ["name", "school__name", "school__code"]
    autocomplete_fields = ["school"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Program], search_term: str
    ) -> tuple[QuerySet[Program], bool]:
        """A form's program picker offers the programs of the school chosen beside it
        (``school``, sent by ``program_by_school.js``); the form still checks the pair."""
        school = request.GET.get("school", "")
        match = getattr(request, "resolver_match", None)
        if school.isdigit() and match is not None and match.url_name == "autocomplete":
            queryset = queryset.filter(school_id=int(school))
        return super().get_search_results(request, queryset, search_term)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["term", "start_date", "end_date", "application_deadline"]


@admin.register(ScholarYear)
class ScholarYearAdmin(admin.ModelAdmin):
    list_display = ["code", "start_date", "end_date", "is_current", "is_closed"]
    list_filter = ["is_current", "is_closed"]
    search_fields = ["code"]
    readonly_fields = ["is_current"]
    inlines = [SessionInline]
    actions = ["make_current"]

    @admin.action(description=_("Make the selected year the current one"))
    def make_current(self, request: HttpRequest, queryset: QuerySet[ScholarYear]) -> None:
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one scholar year."), messages.ERROR)
            return
        year = services.scholar_year_set_current(scholar_year=queryset.get())
        self.message_user(
            request,
            gettext("%(year)s is now the current scholar year.") % {"year": year},
            messages.SUCCESS,
        )


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "scholar_year",
        "term",
        "start_date",
        "end_date",
        "application_deadline",
    ]
    list_filter = ["scholar_year", "term"]
    list_select_related = ["scholar_year"]
    search_fields = ["scholar_year__code", "term"]
    autocomplete_fields = ["scholar_year"]


@admin.register(StudentDocument)
class StudentDocumentAdmin(StudentScopedAdmin, DocumentUploadAdmin):
    list_display = ["__str__", "student", "scholar_year", "document_type", "uploaded_at"]
    list_filter = ["scholar_year", "document_type"]
    list_select_related = ["student", "scholar_year", "document_type"]
    search_fields = ["=student__status_no", "student__last_name", "original_filename"]
    autocomplete_fields = ["student", "scholar_year"]
    identity_fields = ["student", "scholar_year", "document_type"]


@admin.register(StudentRecordAccess)
class StudentRecordAccessAdmin(ReadOnlyAdmin):
    """Who opened which record (the per-student report is on the student's page)."""

    list_display = ["accessed_at", "user", "student", "view", "ip_address"]
    list_filter = ["view"]
    search_fields = ["=student__status_no", "user__username"]
    list_select_related = ["user", "student"]
    date_hierarchy = "accessed_at"
