"""Payments due and overdue for ``/metrics`` (registered in ``BillingConfig.ready()``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from billing.models import ScheduledPayment

# Not yet in a payment file sent to the bank: still to pay (a returned one is due again).
UNSENT = (ScheduledPayment.Status.SCHEDULED, ScheduledPayment.Status.RETURNED)
DUE_WITHIN_DAYS = 7


def payment_metrics() -> Iterator[Metric]:
    today = timezone.localdate()
    horizon = today + dt.timedelta(days=DUE_WITHIN_DAYS)
    counts = ScheduledPayment.objects.filter(status__in=UNSENT).aggregate(
        due=Count("pk", filter=Q(due_date__gte=today, due_date__lte=horizon)),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
    )
    yield GaugeMetricFamily(
        "avataq_payments_due",
        f"Payments not yet sent that fall due today or in the next {DUE_WITHIN_DAYS} days.",
        value=counts["due"],
    )
    yield GaugeMetricFamily(
        "avataq_payments_overdue",
        "Payments not yet sent whose due date has passed.",
        value=counts["overdue"],
    )
