from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class AvataqConfig(AppConfig):
    name = "avataq"
    verbose_name = "Avataq"

    def ready(self) -> None:
        from avataq import checks, roles, sessions  # noqa: F401  (checks registers the system checks)

        # Once per migrate: post_migrate is sent per app that has models, and this app
        # may have none, so listen for the auth app's.
        post_migrate.connect(
            roles.sync_group_permissions_on_migrate,
            sender=self.apps.get_app_config("auth"),
            dispatch_uid="avataq.sync_group_permissions",
        )
        # Every sign-in, wherever it happens (portal, admin), gets its lifetime here.
        user_logged_in.connect(
            sessions.session_lifetime_on_login, dispatch_uid="avataq.session_lifetime"
        )
