"""Every write about documents: storing an upload under its key, replacing it on purpose,
the index, download links (and their access record), API keys, reindexing, verifying.

Storage follows the transaction: an object is written under a pending key of its own
(``_pending/{stamp}-{random}/{key}``) and reaches its key only once the transaction that
describes it has committed (:func:`storage_atomic`). A failure before the commit — the
storage's answer lost, a query failing, the commit itself — leaves no object at any
document's key, and what was written is removed at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from avataq import locks
from avataq.errors import AvataqError
from documents import filetypes, keys
from documents.models import ApiKey, DocumentAccess, DocumentIndex, DocumentType, DocumentVersion
from documents.storage import PriorVersion, StorageUnavailable, StoredObject, document_storage

if TYPE_CHECKING:
    from documents.models import S3DocumentMixin

log = logging.getLogger(__name__)

MAX_SAME_KEY = 99
PENDING_FOLDER = "_pending"
# A pending object younger than this may belong to an upload still under way (a request
# lives 60 s at most): verify does not report it, settle does not touch it.
PENDING_GRACE = dt.timedelta(minutes=10)
# Hashes the storage cannot prove that verify re-computes by downloading, by default.
REHASH_SAMPLE = 20


class DocumentRejected(AvataqError, ValueError):
    """An upload we will not keep; the message names the reason. Nothing was stored."""

    code = "document_rejected"


# --- storage follows the transaction -------------------------------------------------------
class _UndoStack(threading.local):
    """Per thread (as a database connection is): one frame per open storage_atomic block,
    holding how to remove what the block wrote."""

    def __init__(self) -> None:
        self.frames: list[list[Callable[[], object]]] = []


_undo = _UndoStack()


@contextmanager
def storage_atomic() -> Iterator[None]:
    """``transaction.atomic()`` for a service that writes objects (also a decorator).

    The objects a block writes are pending until the transaction commits. When the block
    fails — whichever step: the write itself (its answer lost), a later query, the
    commit — what it wrote is removed at once; a block that succeeds hands what it wrote
    to the enclosing ``storage_atomic`` block, which removes it if *it* fails. A rollback
    no such block sees (a plain ``atomic`` around the service) leaves the object under
    its pending key, never at a document's key: ``verify_documents`` reports it and
    ``verify_documents --settle`` removes it."""
    frame: list[Callable[[], object]] = []
    _undo.frames.append(frame)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _undo.frames.pop()
        for undo in reversed(frame):
            try:
                undo()
            except Exception:  # never hide the failure being answered
                log.exception("could not undo a write of a failed operation")
        raise
    _undo.frames.pop()
    if _undo.frames:
        _undo.frames[-1].extend(frame)


def _on_failure(undo: Callable[[], object]) -> None:
    if not _undo.frames:
        raise RuntimeError("objects are written only inside storage_atomic()")
    _undo.frames[-1].append(undo)


def pending_key(key: str) -> str:
    """A fresh key to write ``key``'s content under until the transaction commits."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    return f"{PENDING_FOLDER}/{stamp}-{secrets.token_hex(4)}/{key}"


def pending_target(pending: str) -> str:
    """The key a pending object waits to be promoted to."""
    return pending.split("/", 2)[2]


def _write_pending(key: str, upload: UploadedFile) -> None:
    """Write ``upload`` under a pending key, promoted to ``key`` once the transaction
    commits. Its removal is registered before the write: a write whose answer is lost
    may have stored the object all the same."""
    storage = document_storage()
    pending = pending_key(key)
    _on_failure(lambda: storage.delete_quietly(pending))
    storage.put(pending, upload)
    transaction.on_commit(lambda: _promote(pending, key), robust=True)


def _promote(pending: str, key: str) -> None:
    try:
        document_storage().promote(pending, key)
    except StorageUnavailable as exc:
        # Committed: the rows stand and nothing can be undone; the content waits under
        # its pending key, the prior content (a replacement's) under its prior version.
        log.error(
            "document %s is saved but its content is still under %s (%s); "
            "`manage.py verify_documents --settle` promotes it",
            key,
            pending,
            exc.detail,
        )


def _keep_prior_version(
    *, key: str, size: int, sha256: str
) -> tuple[PriorVersion | None, int, str]:
    """Keep what ``key`` holds before a replacement (removed again if the block fails):
    how to find it, its size, its SHA-256. The key should hold what its row describes
    (``size``, ``sha256``); when that content is still pending — its upload committed but
    its promotion failed, or has not run yet — it is promoted first, so the prior version
    is the content the row described and no late promotion can overwrite the new one."""
    storage = document_storage()
    held = storage.stat(key)
    if _not_holding(held, sha256) and _promote_committed(key, sha256):
        held = storage.stat(key)
    if held is None:
        log.error("%s holds nothing: its replacement has no prior content to keep", key)
        return None, size, sha256
    if _not_holding(held, sha256):
        log.warning("%s holds other content than its row describes; kept as it is", key)
        size, sha256 = held.size, held.sha256
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    if not storage.versioned:
        archive = keys.archive_key(key, stamp)
        _on_failure(lambda: storage.delete_quietly(archive))
    return storage.keep_prior_version(key, stamp), size, sha256


def _not_holding(held: StoredObject | None, sha256: str) -> bool:
    """Whether the storage shows that ``held`` is not the content ``sha256`` names (an
    object it proves nothing about, or a row that names no hash, may be)."""
    return held is None or bool(sha256 and held.sha256 and held.sha256 != sha256)


def _promote_committed(key: str, sha256: str) -> bool:
    """Promote the pending object of ``key`` that holds ``sha256`` (the content its
    committed row describes), if there is one."""
    storage = document_storage()
    waiting = [obj.key for obj in storage.iter_objects(f"{PENDING_FOLDER}/")]
    for pending in sorted(waiting, reverse=True):  # the newest first
        if pending_target(pending) != key:
            continue
        if (storage.proven_sha256(pending) or storage.sha256_of(pending)) == sha256:
            log.warning("%s: promoting its committed content from %s", key, pending)
            storage.promote(pending, key)
            return True
    return False


# --- uploads -------------------------------------------------------------------------------
def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def upload_check(upload: UploadedFile) -> filetypes.FileType:
    """What the upload really is, or :class:`DocumentRejected` saying why it is refused."""
    limit = settings.DOCUMENT_MAX_UPLOAD_SIZE
    if getattr(upload, "oversize", False) or upload.size > limit:
        raise DocumentRejected(
            f"the file is {_megabytes(upload.size)}; the limit is {_megabytes(limit)}"
        )
    if upload.size == 0:
        raise DocumentRejected("the file is empty")
    try:
        extension = keys.extension_of(upload.name or "")
        kind = filetypes.sniff(upload)
    except (keys.InvalidKey, filetypes.RefusedFile) as exc:
        raise DocumentRejected(str(exc)) from None
    if extension not in kind.extensions:
        raise DocumentRejected(
            f"the file is a {kind.label} but its name ends in .{extension}; rename it and retry"
        )
    return kind


def _sha256(upload: UploadedFile) -> str:
    known = getattr(upload, "sha256", "")
    if known:
        return known
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _lock_key(key: str) -> None:
    """Serialise writers of one key until the transaction ends (two uploads of the same
    type for the same student and year must not both pick the same free key)."""
    locks.advisory_xact_lock(locks.Advisory.DOCUMENT_KEY, key)


def _key_taken(key: str) -> bool:
    return DocumentIndex.objects.filter(s3_key=key).exists() or (
        document_storage().stat(key) is not None
    )


def _free_key(parts: keys.KeyParts) -> str:
    for number in range(1, MAX_SAME_KEY + 1):
        candidate = keys.numbered(parts, number)
        if not _key_taken(candidate):
            return candidate
    raise DocumentRejected(f"{MAX_SAME_KEY} documents already use {parts.key}")


def _key_parts(document: S3DocumentMixin, filename: str) -> keys.KeyParts:
    """A student's document goes to that student's folder; a school's (no student) to
    the school's, never to a student's."""
    student = document.document_student()
    described = {
        "scholar_year": document.document_scholar_year(),
        "document_type": document.document_type_code(),
        "qualifier": document.document_qualifier(),
        "filename": filename,
    }
    try:
        if student is not None:
            return keys.document_key(status_no=student.status_no, **described)
        school = document.document_school()
        if school is None:
            raise keys.InvalidKey("the document says neither its student nor its school")
        return keys.school_document_key(school_code=slugify(school.code), **described)
    except keys.InvalidKey as exc:
        raise DocumentRejected(str(exc)) from None


def _describe_upload(
    document: S3DocumentMixin, upload: UploadedFile, kind: filetypes.FileType, by: Any
) -> None:
    document.original_filename = PurePosixPath(upload.name or "").name[:255]
    document.content_type = kind.content_type
    document.size = upload.size
    document.sha256 = _sha256(upload)
    document.uploaded_by = by
    document.uploaded_at = timezone.now()


@storage_atomic()
def document_store(
    *, document: S3DocumentMixin, upload: UploadedFile, by: AbstractBaseUser | None
) -> S3DocumentMixin:
    """Store a new document: check the upload, pick its key (``-2``, ``-3``… when the key
    already holds another document), save the row and its index row, write the content
    under a pending key; it reaches its key when the transaction commits. The storage not
    answering raises :class:`StorageUnavailable`, and nothing is kept."""
    kind = upload_check(upload)
    parts = _key_parts(document, upload.name or "")
    _lock_key(parts.key)
    key = _free_key(parts)
    _describe_upload(document, upload, kind, by)
    document.file.name = key
    document.save()
    document_index_upsert(document=document)
    _write_pending(key, upload)
    return document


@storage_atomic()
def document_replace(
    *, document: S3DocumentMixin, upload: UploadedFile, by: AbstractBaseUser | None
) -> S3DocumentMixin:
    """Replace a document's content on purpose, all or nothing as anyone sees it: the
    prior content is kept (an S3 version when the bucket is versioned, otherwise a copy
    under ``…/_archive/``) and recorded as a :class:`DocumentVersion` with the new
    description and index, in one transaction; the new content waits under a pending key
    and reaches the document's key only once that transaction has committed. Any failure
    before leaves the key, the rows and the bucket as they were."""
    kind = upload_check(upload)
    key = document.key
    extension = keys.extension_of(upload.name or "")
    if not key.endswith(f".{extension}"):
        raise DocumentRejected(
            f"a replacement must have the same kind of name as {PurePosixPath(key).name}"
        )
    _lock_key(key)
    current = locks.lock_one(type(document).objects.filter(pk=document.pk))
    prior, prior_size, prior_sha = _keep_prior_version(
        key=key, size=current.size, sha256=current.sha256
    )
    _describe_upload(document, upload, kind, by)
    document.save()
    document_index_upsert(
        document=document, prior=prior, prior_size=prior_size, prior_sha256=prior_sha, by=by
    )
    _write_pending(key, upload)
    return document


@transaction.atomic
def document_index_upsert(
    *,
    document: S3DocumentMixin,
    prior: PriorVersion | None = None,
    prior_size: int = 0,
    prior_sha256: str = "",
    by: AbstractBaseUser | None = None,
) -> DocumentIndex:
    student = document.document_student()
    school = document.document_school()
    index, _ = DocumentIndex.objects.update_or_create(
        s3_key=document.key,
        defaults={
            "subject": DocumentIndex.Subject.STUDENT if student else DocumentIndex.Subject.SCHOOL,
            "student": student,
            "student_reference": student.status_no if student else "",
            "scholar_year": document.document_scholar_year(),
            "category": document.document_type_code(),
            "school": school,
            "filename": document.original_filename,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
            "source_model": document._meta.label_lower,
            "source_id": document.pk,
        },
    )
    if prior is not None:
        DocumentVersion.objects.create(
            document=index,
            version_id=prior.version_id,
            archive_key=prior.archive_key,
            size=prior_size,
            sha256=prior_sha256,
            replaced_by=by,
        )
    return index


# --- downloads -----------------------------------------------------------------------------
def download_content_type(key: str) -> str:
    """Forced from the allowlist by extension: never what an uploader claimed."""
    kind = filetypes.BY_EXTENSION.get(PurePosixPath(key).suffix.lower().lstrip("."))
    return kind.content_type if kind else "application/octet-stream"


class ObjectMissing(Http404):
    """The index names an object the storage does not hold: the user gets the 404 of a
    document that is not there (not a link to nothing); the log and verify say more."""


def document_download_url(
    *, document: DocumentIndex, user: AbstractBaseUser, ip_address: str | None
) -> str:
    """Check the storage holds the object (a HEAD with the short deadline), record who was
    handed a link, then mint it (valid ``DOCUMENT_URL_TTL`` seconds). The storage not
    answering raises :class:`StorageUnavailable` before anything is recorded."""
    storage = document_storage()
    if storage.stat(document.s3_key) is None:
        log.error(
            "index row %s names %s, which the storage does not hold", document.pk, document.s3_key
        )
        raise ObjectMissing("No such document.")
    with transaction.atomic():
        DocumentAccess.objects.create(
            document=document, s3_key=document.s3_key, user=user, ip_address=ip_address or None
        )
    return storage.download_url(
        document.s3_key,
        filename=document.filename or PurePosixPath(document.s3_key).name,
        content_type=download_content_type(document.s3_key),
        ttl=settings.DOCUMENT_URL_TTL,
    )


# --- API keys ------------------------------------------------------------------------------
API_KEY_PREFIX = "avq"


def _hash_secret(secret: str) -> str:
    # A fast hash is right here: the key has 256 random bits, so nothing can be guessed,
    # and a password hasher would cost a third of a second per request.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """A new key; the returned plain key is shown once and never stored."""
    prefix = secrets.token_hex(4)
    plain = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(name=name, prefix=prefix, key_hash=_hash_secret(plain))
    api_key.full_clean()
    api_key.save()
    return api_key, plain


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


_DUMMY_HASH = _hash_secret("no such key")


def api_key_authenticate(*, presented: str | None) -> ApiKey | None:
    """The active key matching ``presented``, compared in constant time, or None."""
    parts = (presented or "").split("_", 2)
    prefix = parts[1] if len(parts) == 3 and parts[0] == API_KEY_PREFIX else ""
    api_key = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    expected = api_key.key_hash if api_key else _DUMMY_HASH
    matches = hmac.compare_digest(expected, _hash_secret(presented or ""))
    if not (api_key and matches):
        return None
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key


# --- ingest, reindex, verify ---------------------------------------------------------------
def category_for_slug(slug: str, codes: Iterable[str]) -> str:
    """The document type a key's slug starts with (longest wins), or ``other``."""
    for code in sorted(codes, key=len, reverse=True):
        if slug == code or slug.startswith(f"{code}-"):
            return code
    return "other"


API_SOURCE = "api"
# Rows the API may relabel: its own, and those a bucket scan made for objects it found
# (a producer's object indexed by ``reindex_documents`` before the producer called).
API_RELABELS = frozenset({API_SOURCE, "reindex"})


class IndexedByTheApp(AvataqError):
    """The ingest API may not relabel a key the app indexed (an upload's row): the index
    would then disagree with the document it stands for."""

    code = "indexed_by_the_app"

    def __init__(self, *, s3_key: str, source_model: str) -> None:
        super().__init__(f"{s3_key} is indexed by {source_model}")
        self.s3_key, self.source_model = s3_key, source_model


@transaction.atomic
def document_index_ingest(
    *,
    student: Any,
    scholar_year: str,
    s3_key: str,
    filename: str,
    category: str,
    size: int,
) -> tuple[DocumentIndex, bool]:
    """Create, or relabel, the row of a student's object a producer outside the app
    stored: (index, created). Only rows the API created (or a bucket scan found) are
    relabelled; a key the app indexed raises :class:`IndexedByTheApp` and nothing changes."""
    _lock_key(s3_key)  # two calls for one new key must not both try to insert it
    (found,) = locks.lock(DocumentIndex.objects.filter(s3_key=s3_key))
    index = found[0] if found else None
    if index is not None and index.source_model not in API_RELABELS:
        raise IndexedByTheApp(s3_key=s3_key, source_model=index.source_model)
    created = index is None
    if index is None:
        index = DocumentIndex(s3_key=s3_key)
    index.source_model = API_SOURCE
    index.subject = DocumentIndex.Subject.STUDENT
    index.student = student
    index.student_reference = student.status_no
    index.scholar_year = scholar_year
    index.category = category
    index.filename = filename
    index.content_type = download_content_type(s3_key)
    index.size = size
    index.full_clean()
    index.save()
    return index, created


@dataclass
class ReindexReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _is_archive(key: str) -> bool:
    return f"/{keys.ARCHIVE_FOLDER}/" in key


# A student's data export (a ZIP the privacy services build) is no document of the index.
EXPORTS_FOLDER = "_exports"


def _is_document_object(key: str) -> bool:
    return not _is_archive(key) and not key.startswith(
        ("backups/", f"{PENDING_FOLDER}/", f"{EXPORTS_FOLDER}/")
    )


@transaction.atomic
def documents_reindex(*, prefix: str = "") -> ReindexReport:
    """Create or complete index rows from a scan of the storage under ``prefix``."""
    from scholarships.models import School, Student

    report = ReindexReport()
    codes = list(DocumentType.objects.values_list("code", flat=True))
    objects = [o for o in document_storage().iter_objects(prefix) if _is_document_object(o.key)]
    parsed = []
    for obj in objects:
        try:
            parsed.append((obj, keys.parse_key(obj.key)))
        except keys.InvalidKey as exc:
            report.skipped.append((obj.key, str(exc)))
    status_nos = {parts.status_no for _, parts in parsed if parts.status_no}
    students = {s.status_no: s for s in Student.objects.filter(status_no__in=status_nos)}
    schools = {slugify(s.code): s for s in School.objects.all()}
    existing = {
        row.s3_key: row
        for row in DocumentIndex.objects.filter(s3_key__in=[o.key for o, _ in parsed])
    }
    to_create = []
    for obj, parts in parsed:
        student = students.get(parts.status_no) if parts.status_no else None
        school = schools.get(parts.school_code) if parts.school_code else None
        if parts.status_no and student is None:
            report.skipped.append((obj.key, f"no student with status_no {parts.status_no}"))
            continue
        if parts.school_code and school is None:
            report.skipped.append((obj.key, f"no school with code {parts.school_code}"))
            continue
        row = existing.get(obj.key)
        if row is None:
            to_create.append(
                DocumentIndex(
                    subject=(
                        DocumentIndex.Subject.STUDENT if student else DocumentIndex.Subject.SCHOOL
                    ),
                    student=student,
                    school=school,
                    student_reference=parts.status_no,
                    scholar_year=parts.scholar_year,
                    category=category_for_slug(parts.slug, codes),
                    s3_key=obj.key,
                    filename=PurePosixPath(obj.key).name,
                    content_type=download_content_type(obj.key),
                    size=obj.size,
                    source_model="reindex",
                )
            )
        elif row.size != obj.size:
            DocumentIndex.objects.filter(pk=row.pk).update(size=obj.size, indexed_at=timezone.now())
            report.updated += 1
        else:
            report.unchanged += 1
    DocumentIndex.objects.bulk_create(to_create, batch_size=1000)
    report.created = len(to_create)
    return report


@dataclass
class VerifyReport:
    missing_objects: list[str] = field(default_factory=list)
    unindexed_objects: list[str] = field(default_factory=list)
    size_mismatches: list[tuple[str, int, int]] = field(default_factory=list)
    # (key, SHA-256 in the index, SHA-256 of what the key holds)
    hash_mismatches: list[tuple[str, str, str]] = field(default_factory=list)
    orphan_archives: list[str] = field(default_factory=list)  # no prior version points to
    missing_archives: list[str] = field(default_factory=list)  # a prior version's, gone
    pending_objects: list[str] = field(default_factory=list)  # left behind by a failure
    proven: int = 0  # hashes the storage proved (ETag = the MD5 written with the SHA-256)
    rehashed: int = 0  # hashes computed again from a download
    unchecked: int = 0  # hashes neither proved nor re-computed (not in the sample)

    @property
    def problems(self) -> int:
        return sum(
            len(found)
            for found in (
                self.missing_objects,
                self.unindexed_objects,
                self.size_mismatches,
                self.hash_mismatches,
                self.orphan_archives,
                self.missing_archives,
                self.pending_objects,
            )
        )

    @property
    def ok(self) -> bool:
        return self.problems == 0


def documents_verify(
    *,
    prefix: str = "",
    rehash: int | None = REHASH_SAMPLE,
    pending_grace: dt.timedelta = PENDING_GRACE,
) -> VerifyReport:
    """Compare the index with the storage (a read: it changes nothing): objects missing
    or not indexed, sizes, contents (the SHA-256 the index holds against the one the
    storage proves, or, where it proves none, a download re-hashed: ``rehash`` of those
    picked at random, all when ``None``), archive copies no prior version points to (and
    prior versions whose copy is gone), and pending objects older than ``pending_grace``
    that a failed operation left behind."""
    storage = document_storage()
    report = VerifyReport()
    stored: dict[str, int] = {}
    archives: set[str] = set()
    for obj in storage.iter_objects(prefix):
        if _is_archive(obj.key):
            archives.add(obj.key)
        elif _is_document_object(obj.key):
            stored[obj.key] = obj.size
    cutoff = timezone.now() - pending_grace
    report.pending_objects = sorted(
        obj.key
        for obj in storage.iter_objects(f"{PENDING_FOLDER}/")
        if pending_target(obj.key).startswith(prefix) and (obj.modified or cutoff) <= cutoff
    )
    indexed = {
        key: (size, sha256)
        for key, size, sha256 in DocumentIndex.objects.filter(
            s3_key__startswith=prefix
        ).values_list("s3_key", "size", "sha256")
    }
    unproven: list[tuple[str, str]] = []
    for key, (size, sha256) in sorted(indexed.items()):
        if key not in stored:
            report.missing_objects.append(key)
        elif stored[key] != size:
            report.size_mismatches.append((key, size, stored[key]))
        elif sha256:
            proven = storage.proven_sha256(key)
            if proven is None:
                unproven.append((key, sha256))
                continue
            report.proven += 1
            if proven != sha256:
                report.hash_mismatches.append((key, sha256, proven))
    picked = (
        unproven
        if rehash is None or rehash >= len(unproven)
        else (sorted(secrets.SystemRandom().sample(unproven, rehash)))
    )
    for key, sha256 in picked:
        actual = storage.sha256_of(key)
        report.rehashed += 1
        if actual != sha256:
            report.hash_mismatches.append((key, sha256, actual))
    report.hash_mismatches.sort()
    report.unchecked = len(unproven) - len(picked)
    report.unindexed_objects = sorted(set(stored) - set(indexed))
    referenced = set(
        DocumentVersion.objects.filter(archive_key__startswith=prefix)
        .exclude(archive_key="")
        .values_list("archive_key", flat=True)
    )
    report.orphan_archives = sorted(archives - referenced)
    report.missing_archives = sorted(referenced - archives)
    return report


@dataclass
class SettleReport:
    promoted: list[str] = field(default_factory=list)  # keys that got their content
    removed: list[str] = field(default_factory=list)  # pending objects of rolled-back work


def documents_settle_pending(*, older_than: dt.timedelta = PENDING_GRACE) -> SettleReport:
    """Finish or undo what failed operations left under the pending folder (objects older
    than ``older_than``: no upload under way is touched). Content whose operation
    committed (the index row of its key has its SHA-256) but was never promoted goes to
    its key; the rest, from operations that rolled back, is removed."""
    storage = document_storage()
    cutoff = timezone.now() - older_than
    report = SettleReport()
    for obj in list(storage.iter_objects(f"{PENDING_FOLDER}/")):
        if obj.modified is not None and obj.modified > cutoff:
            continue
        key = pending_target(obj.key)
        with transaction.atomic():
            _lock_key(key)  # no store or replacement of this key meanwhile
            indexed = DocumentIndex.objects.filter(s3_key=key).values_list("sha256", flat=True)
            content = storage.proven_sha256(obj.key) or storage.sha256_of(obj.key)
            if content in indexed:
                storage.copy(obj.key, key)
                report.promoted.append(key)
            else:
                report.removed.append(obj.key)
            storage.delete_quietly(obj.key)
    return report
