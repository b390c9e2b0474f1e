"""The staff groups and what each may do in the admin.

The groups are created by a migration; their permissions are (re)synchronised from
:data:`GROUP_PERMISSIONS` after every ``migrate``, so a model added later by any app
lands in the right groups without another hand-written data migration.
"""

from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import Q

STAFF, COUNSELLORS, FINANCE, OPS = "Staff", "Counsellors", "Finance", "Ops"

VIEW = ("view",)
EDIT = ("view", "add", "change")

# group → {app_label: actions on every model of that app}
GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    STAFF: {"scholarships": EDIT, "enrollment": EDIT, "documents": EDIT, "billing": VIEW},
    # Counsellors see the documents of their own students only (object permissions).
    COUNSELLORS: {"scholarships": EDIT, "enrollment": EDIT},
    FINANCE: {"scholarships": VIEW, "enrollment": VIEW, "documents": VIEW, "billing": EDIT},
    OPS: {
        "scholarships": VIEW,
        "enrollment": VIEW,
        "documents": VIEW,
        "billing": VIEW,
        "avataq": EDIT,
    },
}
# group → extra permissions by "app_label.codename"
GROUP_EXTRA_PERMISSIONS: dict[str, tuple[str, ...]] = {
    STAFF: ("documents.can_view_documents",),
    FINANCE: ("documents.can_view_documents",),
    OPS: ("documents.can_view_documents",),
}


@transaction.atomic
def sync_group_permissions(apps: Any = global_apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = Q(pk__in=[])
        for app_label, actions in grants.items():
            for action in actions:
                wanted |= Q(
                    content_type__app_label=app_label, codename__startswith=f"{action}_"
                ) & ~Q(codename="view_student_documents")
        for label in GROUP_EXTRA_PERMISSIONS.get(group_name, ()):
            app_label, codename = label.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def sync_group_permissions_on_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.contrib.auth.management import create_permissions

    # Permissions are created per app by post_migrate too, in INSTALLED_APPS order; make
    # sure every app's exist before granting them.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_group_permissions()
