"""The one S3 client configuration of the project: the documents storage and the backups
both build their clients here.

Every client signs with SigV4, in an explicit region, and addresses buckets by path when
an endpoint is set (an S3-compatible server such as MinIO or s3rver has no bucket
subdomains). Checksums are sent and checked only where S3 requires them: recent botocore
adds CRC checksums to every request by default, which S3-compatible servers reject or
mishandle. Each caller passes its own deadlines — connect and read timeouts, and the most
tries of one call — because they differ by purpose: the documents answer web requests and
must fail in seconds, the backups move gigabytes and may wait a minute for an answer.

Every client is measured (:func:`measure`): each API call's time, its retries included,
goes to ``avataq_s3_call_duration_seconds`` by operation and answer, read at ``/metrics``.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from botocore.config import Config
from prometheus_client import Histogram

CALL_SECONDS = Histogram(
    "avataq_s3_call_duration_seconds",
    "Time of each S3 API call, its retries included, by operation and answer "
    "(2xx, 3xx, 4xx, 5xx, or none when no answer came).",
    ["operation", "answer"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
_STARTED = "avataq_call_started"
_MEASURED = "_avataq_measured"


def client_config(
    *, endpoint_url: str | None, connect_timeout: float, read_timeout: float, attempts: int
) -> Config:
    """The botocore configuration of an S3 client. ``attempts`` counts every try of a
    call, the first included (botocore's ``total_max_attempts``)."""
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )


def client(
    *,
    endpoint_url: str | None,
    region_name: str | None,
    connect_timeout: float,
    read_timeout: float,
    attempts: int,
    access_key: str | None = None,
    secret_key: str | None = None,
    session: boto3.session.Session | None = None,
    use_ssl: bool = True,
    verify: bool | str | None = None,
) -> Any:
    """A boto3 S3 client configured by :func:`client_config`. Credentials are
    ``access_key``/``secret_key`` when given, else ``session``'s, else boto3's usual
    chain (environment, instance role). A client is thread-safe; a session is not, so
    each client gets its own."""
    session = session or boto3.session.Session(
        aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None
    )
    return measure(
        session.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region_name or None,
            use_ssl=use_ssl,
            verify=verify,
            config=client_config(
                endpoint_url=endpoint_url,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                attempts=attempts,
            ),
        )
    )


def measure(client: Any) -> Any:
    """Time every API call of ``client`` (once per client, however often it is asked)."""
    if not getattr(client, _MEASURED, False):
        client.meta.events.register("before-call.s3", _call_started)
        client.meta.events.register("after-call.s3", _call_answered)
        client.meta.events.register("after-call-error.s3", _call_unanswered)
        setattr(client, _MEASURED, True)
    return client


def _call_started(context: dict, model: Any, **_: Any) -> None:
    context[_STARTED] = (model.name, time.perf_counter())


def _call_answered(context: dict, http_response: Any, **_: Any) -> None:
    _observe(context, f"{http_response.status_code // 100}xx")


def _call_unanswered(context: dict, **_: Any) -> None:
    _observe(context, "none")


def _observe(context: dict, answer: str) -> None:
    started = context.pop(_STARTED, None)
    if started is not None:
        operation, at = started
        CALL_SECONDS.labels(operation=operation, answer=answer).observe(time.perf_counter() - at)
