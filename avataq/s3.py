"""The one S3 client configuration of the project: the documents storage and the backups
both build their clients here.

Every client signs with SigV4, in an explicit region, and addresses buckets by path when
an endpoint is set (an S3-compatible server such as MinIO or s3rver has no bucket
subdomains). Checksums are sent and checked only where S3 requires them: recent botocore
adds CRC checksums to every request by default, which S3-compatible servers reject or
mishandle. Each caller passes its own deadlines — connect and read timeouts, and the most
tries of one call — because they differ by purpose: the documents answer web requests and
must fail in seconds, the backups move gigabytes and may wait a minute for an answer.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


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
    return session.client(
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
