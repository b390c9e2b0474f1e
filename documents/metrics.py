"""Downloads for ``/metrics`` (registered in ``DocumentsConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from documents.models import DocumentAccess


def download_metrics() -> Iterator[Metric]:
    # Every download link handed out leaves a DocumentAccess row: their number is the
    # counter (Prometheus reads a drop, when the retention sweep removes old rows, as a
    # reset).
    yield CounterMetricFamily(
        "avataq_documents_downloaded",
        "Download links handed out for documents.",
        value=DocumentAccess.objects.count(),
    )
