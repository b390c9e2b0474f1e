from django.contrib import admin
from django.http import HttpRequest

from avataq.models import BackupRecord


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
