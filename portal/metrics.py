"""The outbox's figures for ``/metrics`` (registered in ``PortalConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from portal.models import OutgoingEmail

# Sent emails are the outbox's history, not its state: only these are counted.
COUNTED = (
    OutgoingEmail.Status.QUEUED,
    OutgoingEmail.Status.SENDING,
    OutgoingEmail.Status.FAILED,
)


def outbox_metrics() -> Iterator[Metric]:
    rows = dict(
        OutgoingEmail.objects.filter(status__in=COUNTED)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    emails = GaugeMetricFamily(
        "avataq_outbox_emails",
        "Emails not sent: waiting (queued), handed to the mail server (sending), given up "
        "after every attempt (failed).",
        labels=["status"],
    )
    for status in COUNTED:
        emails.add_metric([status.value], rows.get(status.value, 0))
    yield emails
    oldest = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    yield GaugeMetricFamily(
        "avataq_outbox_oldest_queued_age_seconds",
        "Seconds the oldest email still waiting to go has waited (0 when none waits).",
        value=(timezone.now() - oldest).total_seconds() if oldest else 0,
    )
