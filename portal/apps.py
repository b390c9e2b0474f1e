from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Student portal")

    def ready(self) -> None:
        from portal import receivers

        receivers.connect()

        # The cut-over from Odoo imports this app's models (manage.py import_odoo).
        from portal.odoo import register_importers

        register_importers()

        # The outbox's figures, read at every scrape of /metrics.
        from avataq.metrics import register_source
        from portal.metrics import outbox_metrics

        register_source("outbox", outbox_metrics)
