"""Deterministic S3 keys.

- a student's document (its subject is that student alone):
  ``{status_no}/{scholar_year}/{slug}.{ext}``;
- a school's document (an invoice listing several students…):
  ``schools/{school_code}/{scholar_year}/{slug}.{ext}`` — never in a student's folder.

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

from avataq.errors import AvataqError

STATUS_NO = re.compile(r"^[0-9]{1,12}$")
SCHOOL_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
SCHOOLS_FOLDER = "schools"
SCHOLAR_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
ARCHIVE_FOLDER = "_archive"
_TAIL = (
    r"(?P<year>[0-9]{4}-[0-9]{4})/"
    r"(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<ext>[a-z0-9]{1,8})$"
)
KEY = re.compile(r"^(?P<status_no>[0-9]{1,12})/" + _TAIL)
SCHOOL_KEY = re.compile(rf"^{SCHOOLS_FOLDER}/(?P<school_code>[a-z0-9][a-z0-9_-]{{0,29}})/" + _TAIL)


class InvalidKey(AvataqError, ValueError):
    """The parts given cannot make a safe key; the message names the part."""

    code = "invalid_key"


@dataclass(frozen=True)
class KeyParts:
    """A key's parts: ``status_no`` for a student's document, ``school_code`` (and no
    status number) for a school's."""

    status_no: str
    scholar_year: str
    slug: str
    ext: str
    school_code: str = ""

    @property
    def folder(self) -> str:
        return f"{SCHOOLS_FOLDER}/{self.school_code}" if self.school_code else self.status_no

    @property
    def prefix(self) -> str:
        return f"{self.folder}/{self.scholar_year}/"

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


def validate_school_code(code: str) -> str:
    if not SCHOOL_CODE.match(code or ""):
        raise InvalidKey(f"school code {code!r} is not a short lower-case code such as 'cegep-mtl'")
    return code


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
    slug = slugify(document_type)
    if not slug:
        raise InvalidKey(f"document type {document_type!r} gives an empty slug")
    if qualifier:
        # A qualifier is a value (an invoice number such as "2025/17"), not a path: its
        # separators become dashes, and the slug can hold neither "/" nor "..".
        qualifier_slug = slugify(re.sub(r"[/\\.]+", " ", qualifier))
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


def school_document_key(
    *, school_code: str, scholar_year: str, document_type: str, qualifier: str = "", filename: str
) -> KeyParts:
    """The key of a document about a school (and possibly several of its students)."""
    return KeyParts(
        status_no="",
        school_code=validate_school_code(school_code),
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
    """A student's or a school's document key, split into its parts."""
    match = KEY.match(key or "")
    school = None if match else SCHOOL_KEY.match(key or "")
    if not (match or school):
        raise InvalidKey(
            f"{key!r} is not a document key ({{status_no}}/{{year}}/{{slug}}.{{ext}} or "
            f"{SCHOOLS_FOLDER}/{{school_code}}/{{year}}/{{slug}}.{{ext}})"
        )
    if school:
        validate_scholar_year(school["year"])
        validate_school_code(school["school_code"])
        return KeyParts("", school["year"], school["slug"], school["ext"], school["school_code"])
    validate_scholar_year(match["year"])
    return KeyParts(match["status_no"], match["year"], match["slug"], match["ext"])
