from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = pgettext_lazy("app", "Billing")

    def ready(self) -> None:
        from billing.services import on_enrollment_withdrawn
        from enrollment.models import Enrollment
        from enrollment.signals import enrollment_withdrawn

        enrollment_withdrawn.connect(
            on_enrollment_withdrawn, sender=Enrollment, dispatch_uid="billing.withdrawal"
        )

        # The cut-over from Odoo imports this app's models (manage.py import_odoo).
        from billing.odoo import register_importers

        register_importers()

        # Payments due and overdue, read at every scrape of /metrics.
        from avataq.metrics import register_source
        from billing.metrics import payment_metrics

        register_source("payments", payment_metrics)
