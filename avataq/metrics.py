"""Prometheus metrics at ``/metrics``.

Requests per view and database queries are measured by django-prometheus (its middleware
pair and its PostgreSQL backend); S3 calls by the project's S3 clients (:mod:`avataq.s3`).
What the project itself knows — the Celery queue and failed tasks, the outbox, backups,
downloads, payments — is read when Prometheus scrapes, by a collector asking the database
and the broker, so no counter is kept by hand and none can drift from the rows it counts.

``avataq`` imports no app: each app registers the source of its own figures in its
``AppConfig.ready()`` (``register_source``), as it registers its Odoo importers.

A source that fails (the broker is down, a query times out) is left out of that scrape
and logged; the endpoint still answers 200 with everything else.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.middleware import (
    PrometheusAfterMiddleware as _PrometheusAfterMiddleware,
)
from django_prometheus.utils import Time
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from avataq.http import client_ip

logger = logging.getLogger(__name__)

Source = Callable[[], Iterable[Metric]]
_sources: dict[str, Source] = {}

# The Redis lists kombu keeps, beside the queue's own, for its other priority steps.
_KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (3, 6, 9)
BROKER_TIMEOUT = 1.0  # seconds: a scrape never waits long on a hung broker
LOOPBACK = {"127.0.0.1", "::1"}
HOST_FILESYSTEMS = ("/",)
FAILURE_WINDOW = dt.timedelta(hours=1)


def register_source(name: str, source: Source) -> None:
    """Add (or replace) a named source of metrics read at every scrape."""
    _sources[name] = source


def celery_queues() -> list[str]:
    """The queues tasks are sent to: Celery's default one (no task is routed elsewhere)."""
    return [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")]


def celery_queue_metrics() -> Iterator[Metric]:
    """Messages waiting in each Celery queue (Redis ``LLEN``). Nothing without a broker
    (tasks run inline) — and nothing, rather than an error, when the broker is down."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        pipe = client.pipeline(transaction=False)
        queues = celery_queues()
        for queue in queues:
            pipe.llen(queue)
            for step in _KOMBU_PRIORITY_STEPS:
                pipe.llen(f"{queue}{_KOMBU_PRIORITY_SEPARATOR}{step}")
        lengths = pipe.execute()
    finally:
        client.close()
    family = GaugeMetricFamily(
        "avataq_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
    )
    per_queue = 1 + len(_KOMBU_PRIORITY_STEPS)
    for index, queue in enumerate(queues):
        family.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
    yield family


def task_failure_metrics() -> Iterator[Metric]:
    """Tasks that failed for good (every retry spent) in the last hour, by task, and when
    each task last failed: the rows Celery's result backend keeps for failures only."""
    from django.db.models import Count, Max
    from django_celery_results.models import TaskResult

    since = timezone.now() - FAILURE_WINDOW
    rows = (
        TaskResult.objects.filter(status="FAILURE")
        .values("task_name")
        .annotate(recent=Count("pk", filter=Q(date_done__gte=since)), last=Max("date_done"))
    )
    recent = GaugeMetricFamily(
        "avataq_celery_task_failures_last_hour",
        "Tasks that failed after every retry in the last hour, by task.",
        labels=["task"],
    )
    last = GaugeMetricFamily(
        "avataq_celery_task_last_failure_timestamp_seconds",
        "When each task last failed after every retry (Unix time; failures kept 14 days).",
        labels=["task"],
    )
    for row in rows:
        name = row["task_name"] or "unknown"
        recent.add_metric([name], row["recent"])
        last.add_metric([name], row["last"].timestamp())
    yield recent
    yield last


def backup_metrics() -> Iterator[Metric]:
    """Age of the newest successful backup; +Inf when there has never been one (so the
    "backup older than 26 h" alert fires for a system that never backed up)."""
    from avataq.backups import newest_successful_backup

    newest = newest_successful_backup()
    age = GaugeMetricFamily(
        "avataq_backup_age_seconds", "Seconds since the newest successful backup finished."
    )
    if newest is None or newest.finished_at is None:
        age.add_metric([], math.inf)
        yield age
        return
    age.add_metric([], (timezone.now() - newest.finished_at).total_seconds())
    yield age
    yield GaugeMetricFamily(
        "avataq_backup_last_success_timestamp_seconds",
        "When the newest successful backup finished (Unix time).",
        value=newest.finished_at.timestamp(),
    )


def host_metrics() -> Iterator[Metric]:
    """CPU, memory and disk of the machine the web server runs on (psutil reads the host's
    /proc from inside a container too), for the alert rules; a machine with several disks
    wants node_exporter beside this."""
    import psutil

    cpu = CounterMetricFamily(
        "avataq_host_cpu_seconds", "CPU time of the machine, by mode.", labels=["mode"]
    )
    for mode, seconds in psutil.cpu_times()._asdict().items():
        cpu.add_metric([mode], seconds)
    yield cpu
    memory = psutil.virtual_memory()
    yield GaugeMetricFamily(
        "avataq_host_memory_total_bytes", "Memory of the machine.", value=memory.total
    )
    yield GaugeMetricFamily(
        "avataq_host_memory_available_bytes",
        "Memory available without swapping.",
        value=memory.available,
    )
    size = GaugeMetricFamily(
        "avataq_host_filesystem_size_bytes", "Size of the filesystem.", labels=["mountpoint"]
    )
    free = GaugeMetricFamily(
        "avataq_host_filesystem_avail_bytes",
        "Space left on the filesystem for unprivileged users.",
        labels=["mountpoint"],
    )
    for mountpoint in HOST_FILESYSTEMS:
        usage = psutil.disk_usage(mountpoint)
        size.add_metric([mountpoint], usage.total)
        free.add_metric([mountpoint], usage.free)
    yield size
    yield free


register_source("host", host_metrics)
register_source("celery", celery_queue_metrics)
register_source("tasks", task_failure_metrics)
register_source("backups", backup_metrics)


class ProjectCollector(Collector):
    """Every registered source, read now; one that fails is logged and left out."""

    def collect(self) -> Iterator[Metric]:
        for name, source in list(_sources.items()):
            try:
                metrics = list(source())
            except Exception as exc:  # a scrape must never fail for one source
                logger.warning("metrics source %s failed: %s", name, type(exc).__name__)
                continue
            yield from metrics


def scrape_registry() -> CollectorRegistry:
    """The registry one scrape renders: the process's own metrics (or, under gunicorn with
    several workers, every worker's through prometheus_client's multiprocess files) and
    the project's."""
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry = CollectorRegistry()
        registry.register(_Delegate(REGISTRY))
    registry.register(ProjectCollector())
    return registry


class _Delegate(Collector):
    """The default registry, as one collector of another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()


def authorised(request: HttpRequest) -> bool | None:
    """True with the right bearer token; False with a wrong or missing one; None when the
    endpoint does not exist for this request (no token configured: only loopback, and only
    with DEBUG on)."""
    token = settings.METRICS_TOKEN
    if not token:
        return True if settings.DEBUG and client_ip(request) in LOOPBACK else None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = authorised(request)
    if allowed is None:
        raise Http404
    if not allowed:
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class PrometheusAfterMiddleware(_PrometheusAfterMiddleware):
    """django-prometheus's last middleware, which reads the body size from the
    Content-Length header with ``int()``: a malformed one (``12abc``) would answer 500
    before the view could refuse it with a 400. Such a request is measured without its
    body size, and the view answers it."""

    def process_request(self, request: HttpRequest) -> None:
        try:
            super().process_request(request)
        except ValueError:
            request.prometheus_after_middleware_event = Time()
