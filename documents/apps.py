from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = pgettext_lazy("app", "Documents")

    def ready(self) -> None:
        # The cut-over from Odoo indexes the bucket once students are in (import_odoo).
        from documents.odoo import register_importers

        register_importers()

        # Downloads, read at every scrape of /metrics.
        from avataq.metrics import register_source
        from documents.metrics import download_metrics

        register_source("documents", download_metrics)
