"""Every write about documents: storing an upload under its key, replacing it on purpose,
the index, download links (and their access record), API keys, reindexing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from documents import filetypes, keys
from documents.models import ApiKey, DocumentAccess, DocumentIndex, DocumentType, DocumentVersion
from documents.storage import PriorVersion, document_storage

if TYPE_CHECKING:
    from documents.models import S3DocumentMixin

MAX_SAME_KEY = 99


class DocumentRejected(ValueError):
    """An upload we will not keep; the message names the reason. Nothing was stored."""


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


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


@transaction.atomic
def document_store(
    *, document: S3DocumentMixin, upload: UploadedFile, by: AbstractBaseUser | None
) -> S3DocumentMixin:
    """Store a new document: check the upload, pick its key (``-2``, ``-3``… when the key
    already holds another document), stream it to storage, save the row; the index row
    follows once the transaction commits."""
    kind = upload_check(upload)
    parts = _key_parts(document, upload.name or "")
    _lock_key(parts.key)
    key = _free_key(parts)
    _describe_upload(document, upload, kind, by)
    document.file.name = key
    storage = document_storage()
    storage.save_exact(key, upload)
    try:
        document.save()
    except Exception:
        storage.delete(key)  # nothing half-written: no object without its row
        raise
    transaction.on_commit(lambda: document_index_upsert(document=document))
    return document


@transaction.atomic
def document_replace(
    *, document: S3DocumentMixin, upload: UploadedFile, by: AbstractBaseUser | None
) -> S3DocumentMixin:
    """Replace a document's content on purpose, keeping the prior content (an S3 version
    when the bucket is versioned, otherwise a copy under ``…/_archive/``)."""
    kind = upload_check(upload)
    key = document.key
    extension = keys.extension_of(upload.name or "")
    if not key.endswith(f".{extension}"):
        raise DocumentRejected(
            f"a replacement must have the same kind of name as {PurePosixPath(key).name}"
        )
    _lock_key(key)
    type(document).objects.select_for_update().get(pk=document.pk)
    storage = document_storage()
    prior_size, prior_sha = document.size, document.sha256
    prior = storage.keep_prior_version(key, timezone.now().strftime("%Y%m%dT%H%M%S%f"))
    _describe_upload(document, upload, kind, by)
    storage.save_exact(key, upload)
    document.save()
    transaction.on_commit(
        lambda: document_index_upsert(
            document=document, prior=prior, prior_size=prior_size, prior_sha256=prior_sha, by=by
        )
    )
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


@transaction.atomic
def document_download_url(
    *, document: DocumentIndex, user: AbstractBaseUser, ip_address: str | None
) -> str:
    """Record who was handed a link, then mint it (valid ``DOCUMENT_URL_TTL`` seconds)."""
    DocumentAccess.objects.create(
        document=document, s3_key=document.s3_key, user=user, ip_address=ip_address or None
    )
    return document_storage().download_url(
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


class IndexedByTheApp(Exception):
    """The ingest API may not relabel a key the app indexed (an upload's row): the index
    would then disagree with the document it stands for."""

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
    index = DocumentIndex.objects.select_for_update().filter(s3_key=s3_key).first()
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


def _is_document_object(key: str) -> bool:
    return f"/{keys.ARCHIVE_FOLDER}/" not in key and not key.startswith("backups/")


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

    @property
    def ok(self) -> bool:
        return not (self.missing_objects or self.unindexed_objects or self.size_mismatches)


def documents_verify(*, prefix: str = "") -> VerifyReport:
    """Compare the index with the storage (a read: it changes nothing)."""
    report = VerifyReport()
    stored = {
        o.key: o.size for o in document_storage().iter_objects(prefix) if _is_document_object(o.key)
    }
    indexed = dict(
        DocumentIndex.objects.filter(s3_key__startswith=prefix).values_list("s3_key", "size")
    )
    for key, size in sorted(indexed.items()):
        if key not in stored:
            report.missing_objects.append(key)
        elif stored[key] != size:
            report.size_mismatches.append((key, size, stored[key]))
    report.unindexed_objects = sorted(set(stored) - set(indexed))
    return report
