"""What a file really is, from its own bytes (never its name), against the allowlist."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from avataq.errors import AvataqError


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: frozenset[str]


PDF = FileType("PDF document", "application/pdf", frozenset({"pdf"}))
JPEG = FileType("JPEG image", "image/jpeg", frozenset({"jpg", "jpeg"}))
PNG = FileType("PNG image", "image/png", frozenset({"png"}))
HEIC = FileType("HEIC image", "image/heic", frozenset({"heic", "heif"}))
DOCX = FileType(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    frozenset({"docx"}),
)
XLSX = FileType(
    "Excel workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    frozenset({"xlsx"}),
)
ALLOWED = (PDF, JPEG, PNG, HEIC, DOCX, XLSX)
BY_EXTENSION = {ext: t for t in ALLOWED for ext in t.extensions}
HEAD_SIZE = 64
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class RefusedFile(AvataqError, ValueError):
    """The file is not one we keep; the message says what it is and why."""

    code = "refused_file"


def _describe(head: bytes) -> str:
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "an HTML page"
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return "an SVG image"
    if lowered.startswith(b"<?xml"):
        return "an XML file"
    if head.startswith(b"MZ"):
        return "a Windows executable"
    if head.startswith(b"\x7fELF"):
        return "a Linux executable"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "a macOS executable"
    if head.startswith(b"#!"):
        return "a script"
    if head.startswith(b"GIF8"):
        return "a GIF image"
    if not head:
        return "empty"
    return "of a type we cannot recognise"


def _office_type(file: IO[bytes]) -> FileType | None:
    """A DOCX or XLSX is a ZIP whose parts say so; anything else zipped is refused."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def sniff(file: IO[bytes]) -> FileType:
    """The allowed type ``file`` really is, or :class:`RefusedFile` saying what it is."""
    file.seek(0)
    head = file.read(HEAD_SIZE)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    if head.startswith(b"PK\x03\x04"):
        office = _office_type(file)
        file.seek(0)
        if office:
            return office
        raise RefusedFile("the file is a ZIP archive that is not a Word or Excel document")
    raise RefusedFile(f"the file is {_describe(head)}, not an allowed type")


def allowed_list() -> str:
    return ", ".join(sorted({ext.upper() for t in ALLOWED for ext in t.extensions}))
