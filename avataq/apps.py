from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AvataqConfig(AppConfig):
    name = "avataq"
    verbose_name = "Avataq"

    def ready(self) -> None:
        from avataq import checks, roles  # noqa: F401  (registers the system checks)

        # Once per migrate: post_migrate is sent per app that has models, and this app
        # may have none, so listen for the auth app's.
        post_migrate.connect(
            roles.sync_group_permissions_on_migrate,
            sender=self.apps.get_app_config("auth"),
            dispatch_uid="avataq.sync_group_permissions",
        )
