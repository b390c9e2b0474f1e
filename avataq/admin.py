from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django_celery_results.models import GroupResult, TaskResult

from avataq.errors import AvataqError
from avataq.models import BackupRecord, FailedTask


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


class _Skipped(Exception):
    """Raised by a step to leave an item out without an error message (the caller says
    why, once, for all the items left out)."""


def apply_to_each(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    items: Iterable,
    step: Callable[[object], object],
    done: str | Promise | None,
    *,
    name: Callable[[object], object] = str,
) -> int:
    """An admin list action's one way of running a service on each item ticked: each in
    its own transaction (the service's), an item refused told by name with the reason, the
    successes in one message (``done``, a plural-aware message of ``count``; none when
    ``done`` is None, for a caller with more to say first). Returns how many succeeded."""
    succeeded = 0
    for item in items:
        try:
            step(item)
        except _Skipped:
            continue
        except AvataqError as exc:
            model_admin.message_user(
                request,
                gettext("%(object)s: %(error)s") % {"object": name(item), "error": exc},
                messages.ERROR,
            )
        else:
            succeeded += 1
    if succeeded and done is not None:
        model_admin.message_user(request, done % {"count": succeeded}, messages.SUCCESS)
    return succeeded


apply_to_each.Skipped = _Skipped


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


# Celery's result backend keeps only failed tasks (settings): Ops read them as "failed
# background tasks", read-only; the library's own pages (every result, group results) are
# not offered.
for _model in (TaskResult, GroupResult):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(FailedTask)
class FailedTaskAdmin(ReadOnlyAdmin):
    list_display = ["date_done", "task_name", "task_args", "worker"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id"]
    date_hierarchy = "date_done"
    fields = [
        "task_name",
        "task_id",
        "task_args",
        "date_created",
        "date_done",
        "worker",
        "traceback",
    ]
