from django.contrib import admin
from django.http import HttpRequest

from avataq.models import BackupRecord


@admin.register(BackupRecord)
class BackupRecordAdmin(admin.ModelAdmin):
    """Read-only: backups are taken by beat or `manage.py backup_database`."""

    list_display = ["started_at", "status", "trigger", "size", "key", "verified_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["key"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
