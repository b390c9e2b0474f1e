from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ScholarshipsConfig(AppConfig):
    name = "scholarships"
    verbose_name = pgettext_lazy("app", "Scholarships")

    def ready(self) -> None:
        # The cut-over from Odoo imports this app's models (manage.py import_odoo).
        from scholarships.odoo import register_importers

        register_importers()
