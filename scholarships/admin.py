from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from documents.admin import DocumentUploadAdmin
from scholarships import services
from scholarships.models import (
    Community,
    Program,
    ScholarYear,
    School,
    Session,
    Student,
    StudentDocument,
)
from scholarships.permissions import can_assign_student, scope_to_students, sees_all_students


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
class StudentAdmin(StudentScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "status_no", "last_name", "first_name", "date_of_birth", "community", "counsellor",
        "is_active",
    ]  # fmt: skip
    list_display_links = ["status_no", "last_name"]
    list_filter = [
        "is_active",
        "community",
        "community__coast",
        "marital_status",
        "counsellor",
    ]
    list_select_related = ["community", "counsellor"]
    search_fields = ["=status_no", "last_name", "first_name", "email"]
    autocomplete_fields = ["community", "user", "counsellor"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["status_no", ("first_name", "last_name"), "date_of_birth"]}),
        ("Contact", {"fields": ["email", "phone", "community"]}),
        ("Family", {"fields": ["marital_status", "dependants"]}),
        ("Follow-up", {"fields": ["counsellor", "user", "is_active"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    student_path = "pk"
    ASSIGNMENT_FIELDS = ["counsellor", "user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Student | None = None) -> list:
        fields = list(super().get_readonly_fields(request, obj))
        if not can_assign_student(request.user):
            fields += self.ASSIGNMENT_FIELDS  # who follows a student is Staff's decision
        return fields

    def save_model(self, request: HttpRequest, obj: Student, form, change: bool) -> None:
        services.student_save(student=obj, by=request.user)


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

    @admin.action(description="Make the selected year the current one")
    def make_current(self, request: HttpRequest, queryset: QuerySet[ScholarYear]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one scholar year.", messages.ERROR)
            return
        year = services.scholar_year_set_current(scholar_year=queryset.get())
        self.message_user(request, f"{year} is now the current scholar year.", messages.SUCCESS)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "scholar_year", "term", "start_date", "end_date",
                    "application_deadline"]  # fmt: skip
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
