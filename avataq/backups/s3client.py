"""The backups' S3 client and how its failures read.

The client is :func:`avataq.s3.client` with the backups' own deadlines: long enough for
big transfers, bounded so that a hanging S3 fails a backup, and ops are told, within
minutes. Every botocore error becomes one :class:`~avataq.backups.errors.BackupError`
line saying what could not be done and why (botocore's tracebacks run to a hundred
lines)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as S3ConnectionError
from django.conf import settings

from avataq import s3
from avataq.backups.errors import BackupDependencyError, BackupError, BackupNotFound
from avataq.backups.store import PendingUpload

logger = logging.getLogger(__name__)

# Every S3 call gives up after about S3_MAX_ATTEMPTS × (connect + read timeout): a hanging
# S3 fails the backup, and ops are told, within minutes. The read timeout is the longest
# silence allowed; CopyObject and CompleteMultipartUpload keep talking while they work.
S3_CONNECT_TIMEOUT = 10  # seconds
S3_READ_TIMEOUT = 60  # seconds
S3_MAX_ATTEMPTS = 3  # the first try included

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def s3_client() -> Any:
    """One boto3 client per process and configuration (clients are thread-safe)."""
    options = (
        settings.AWS_S3_ENDPOINT_URL,
        settings.AWS_S3_REGION_NAME,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        S3_CONNECT_TIMEOUT,
        S3_READ_TIMEOUT,
        S3_MAX_ATTEMPTS,
    )
    with _clients_lock:
        if options not in _clients:
            _clients[options] = s3.client(
                endpoint_url=options[0],
                region_name=options[1],
                access_key=options[2],
                secret_key=options[3],
                connect_timeout=S3_CONNECT_TIMEOUT,
                read_timeout=S3_READ_TIMEOUT,
                attempts=S3_MAX_ATTEMPTS,
            )
        return _clients[options]


def _where() -> str:
    return f"S3 ({settings.AWS_S3_ENDPOINT_URL or 'AWS'})"


def _error_code(exc: Exception) -> tuple[str, int]:
    response = getattr(exc, "response", None) or {}
    return (
        str(response.get("Error", {}).get("Code", "")),
        int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0),
    )


def _transient(exc: Exception) -> bool:
    """S3 answered, but with a failure that passes (5xx, throttling) — still down."""
    code, status = _error_code(exc)
    return status >= 500 or code in {"SlowDown", "RequestTimeout", "ServiceUnavailable"}


def s3_failure(exc: Exception, action: str) -> BackupError:
    """What botocore raised, as one line saying what could not be done and why."""
    if isinstance(exc, S3ConnectionError | HTTPClientError):  # refused, reset, timed out
        return BackupDependencyError(
            f"{_where()} is not answering: could not {action} ({type(exc).__name__}, "
            f"{S3_MAX_ATTEMPTS} attempts)"
        )
    if not isinstance(exc, ClientError):  # no credentials, a bad endpoint URL…
        return BackupDependencyError(f"{_where()}: could not {action}: {exc}")
    code, status = _error_code(exc)
    if code in {"NoSuchKey", "NotFound", "404"}:
        return BackupNotFound(f"could not {action}: there is no such object in the bucket")
    if _transient(exc):
        return BackupDependencyError(
            f"{_where()} is failing: could not {action} ({code or status}, "
            f"{S3_MAX_ATTEMPTS} attempts)"
        )
    return BackupDependencyError(f"{_where()} refused to {action}: {code or status}")


@contextlib.contextmanager
def s3_errors(action: str) -> Iterator[None]:
    """botocore's exceptions become one BackupError that says what could not be done and
    why."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise s3_failure(exc, action) from exc


def s3_abort(client: Any, bucket: str, upload: PendingUpload) -> None:
    """Abort a multipart upload. Raises BackupDependencyError when S3 cannot be reached
    (try again later); an upload already gone, or an endpoint that will not abort (a
    missing permission, a work-alike without the call), is left to the bucket's
    lifecycle rule (``configure_backup_lifecycle``) with a warning."""
    action = f"abort the upload of {upload.key}"
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=upload.key, UploadId=upload.upload_id)
    except ClientError as exc:
        if _transient(exc):
            raise s3_failure(exc, action) from exc
        code, _ = _error_code(exc)
        if code != "NoSuchUpload":
            logger.warning(
                "%s refused to abort upload %s of %s (%s): the bucket's lifecycle rule "
                "reclaims its parts",
                _where(),
                upload.upload_id,
                upload.key,
                code,
            )
    except BotoCoreError as exc:
        raise s3_failure(exc, action) from exc
