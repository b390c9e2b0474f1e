from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = pgettext_lazy("app", "Enrollment")

    def ready(self) -> None:
        # The cut-over from Odoo imports this app's models (manage.py import_odoo).
        from enrollment.odoo import register_importers

        register_importers()
