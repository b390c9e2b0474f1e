"""Deterministic S3 keys: ``{status_no}/{scholar_year}/{slug}.{ext}``.

``slug`` is Django's ``slugify`` of the document type, followed by the slug of a
qualifier (the session, an invoice number…) when a type can occur more than once a
year; ``ext`` is the lower-cased extension of the uploaded file's name. Anything that
would make a bad or ambiguous key is refused with :class:`InvalidKey`, naming the part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.text import slugify

STATUS_NO = re.compile(r"^[0-9]{1,12}$")
SCHOLAR_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
ARCHIVE_FOLDER = "_archive"
KEY = re.compile(
    r"^(?P<status_no>[0-9]{1,12})/(?P<year>[0-9]{4}-[0-9]{4})/"
    r"(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<ext>[a-z0-9]{1,8})$"
)


class InvalidKey(ValueError):
    """The parts given cannot make a safe key; the message names the part."""


@dataclass(frozen=True)
class KeyParts:
    status_no: str
    scholar_year: str
    slug: str
    ext: str

    @property
    def prefix(self) -> str:
        return f"{self.status_no}/{self.scholar_year}/"

    @property
    def key(self) -> str:
        return f"{self.prefix}{self.slug}.{self.ext}"


def _check_text(part: str, value: str) -> None:
    if ".." in value or "/" in value or "\\" in value or "\x00" in value:
        raise InvalidKey(f"{part} {value!r} contains a path separator or '..'")


def validate_status_no(status_no: str) -> str:
    if not STATUS_NO.match(status_no or ""):
        raise InvalidKey(f"status_no {status_no!r} is not 1 to 12 digits")
    return status_no


def validate_scholar_year(code: str) -> str:
    match = SCHOLAR_YEAR.match(code or "")
    if not match or int(match[2]) != int(match[1]) + 1:
        raise InvalidKey(f"scholar_year {code!r} is not two consecutive years such as 2025-2026")
    return code


def extension_of(filename: str) -> str:
    _check_text("filename", filename)
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if not EXTENSION.match(suffix):
        raise InvalidKey(f"filename {filename!r} has no usable extension (such as .pdf)")
    return suffix


def slug_for(document_type: str, qualifier: str = "") -> str:
    _check_text("document type", document_type)
    _check_text("qualifier", qualifier)
    slug = slugify(document_type)
    if not slug:
        raise InvalidKey(f"document type {document_type!r} gives an empty slug")
    if qualifier:
        qualifier_slug = slugify(qualifier)
        if not qualifier_slug:
            raise InvalidKey(f"qualifier {qualifier!r} gives an empty slug")
        slug = f"{slug}-{qualifier_slug}"
    return slug


def document_key(
    *, status_no: str, scholar_year: str, document_type: str, qualifier: str = "", filename: str
) -> KeyParts:
    return KeyParts(
        status_no=validate_status_no(status_no),
        scholar_year=validate_scholar_year(scholar_year),
        slug=slug_for(document_type, qualifier),
        ext=extension_of(filename),
    )


def numbered(parts: KeyParts, number: int) -> str:
    """The key for the ``number``-th different document wanting the same key (2, 3…)."""
    if number < 2:
        return parts.key
    return f"{parts.prefix}{parts.slug}-{number}.{parts.ext}"


def archive_key(key: str, stamp: str) -> str:
    """Where a replaced document's prior content is kept when the bucket has no versioning."""
    parts = parse_key(key)
    return f"{parts.prefix}{ARCHIVE_FOLDER}/{parts.slug}.{stamp}.{parts.ext}"


def parse_key(key: str) -> KeyParts:
    match = KEY.match(key or "")
    if not match:
        raise InvalidKey(f"{key!r} is not a document key ({{status_no}}/{{year}}/{{slug}}.{{ext}})")
    validate_scholar_year(match["year"])
    return KeyParts(match["status_no"], match["year"], match["slug"], match["ext"])
