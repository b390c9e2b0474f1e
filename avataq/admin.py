from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from avataq.models import BackupRecord


def guarded_view(
    model_admin: admin.ModelAdmin, view: Callable[..., HttpResponse], *, action: str = "view"
) -> Callable[..., HttpResponse]:
    """A custom admin page (a report, a PDF) with the same guard as the model's own pages:
    signed-in staff (``admin_view``) *and* the model permission ``action``. A view about
    one object checks the object too (``has_view_permission(request, obj)``)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not getattr(model_admin, f"has_{action}_permission")(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return model_admin.admin_site.admin_view(guarded)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record written only by services (or by the system): staff look, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows shown beside their parent; they change elsewhere, through services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BackupRecord)
class BackupRecordAdmin(ReadOnlyAdmin):
    """Backups are taken by beat or `manage.py backup_database`."""

    list_display = ["started_at", "status", "trigger", "size", "key", "verified_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["key"]
    date_hierarchy = "started_at"
