from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # The cut-over from Odoo indexes the bucket once students are in (import_odoo).
        from documents.odoo import register_importers

        register_importers()
