"""What a file looks like, from its first bytes: so that a file sent under the wrong format
is refused saying what it is ("this is an Excel file: choose XLSX"), not with a parser's
confusion."""

from __future__ import annotations

import codecs
import io
import re
import zipfile

from django.utils.translation import gettext

from billing.statements.core import StatementError

HEAD = 4096
# Text files hold few control characters; a file with more than this share of them in its
# first bytes is binary data (an image, an archive, a database…).
CONTROL_SHARE = 0.05
_CONTROL = set(range(0x00, 0x09)) | {0x0B, 0x0E, 0x0F} | set(range(0x10, 0x1A)) | {0x1C, 0x1D}


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except Exception:  # zipfile raises many kinds for a damaged archive
        return "zip"  # still an archive: the reader says what is wrong
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith(("word/", "ppt/")) for n in names) or "content.xml" in names:
        return "document"
    return "zip"


def head_text(data: bytes) -> str:
    """The first bytes of ``data`` as text, for looking only (never for reading)."""
    head = data[:HEAD]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    return head.decode("latin-1")


def sniff(data: bytes) -> str:
    """One of: ``xlsx``, ``xls``, ``document``, ``zip``, ``pdf``, ``binary``, ``ofx``,
    ``camt``, ``xml``, ``html``, ``text`` (empty counts as text)."""
    head = data[:HEAD]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # OLE2: Excel 97-2003 (or an old Word file, refused the same way)
    if head.lstrip().startswith(b"%PDF"):
        return "pdf"
    text = head_text(data)
    start = text.lstrip("\ufeff \t\r\n").upper()
    if start.startswith("OFXHEADER") or start.startswith("<OFX>"):
        return "ofx"
    if start.startswith("<"):
        if "<OFX>" in start or "<?OFX" in start:
            return "ofx"
        if "<HTML" in start or start.startswith("<!DOCTYPE HTML"):
            return "html"
        if "CAMT.053" in start or "BKTOCSTMRSTMT" in start:
            return "camt"
        return "xml"
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if head and not utf16:
        control = sum(1 for byte in head if byte in _CONTROL)
        if control / len(head) > CONTROL_SHARE:
            return "binary"
    return "text"


def _camt_message(text: str) -> str:
    found = re.search(r"camt\.0(\d\d)", text)
    return found[0] if found else ""


def refuse_unless(kind: str, source_format: str, data: bytes) -> None:
    """:class:`StatementError` saying what the file is when it is not what
    ``source_format`` reads; nothing when it may be."""
    accepted = {
        "csv": {"text"},
        "xlsx": {"xlsx", "zip"},  # a damaged workbook: the Excel reader says so
        "ofx": {"ofx"},
        # An XML document that is no camt.053 is told so by the XML reader, with its line.
        "camt053": {"camt", "xml", "zip"},
    }[source_format]
    if kind in accepted:
        return
    if kind == "text" and source_format == "ofx" and b"<OFX>" in data[:HEAD].upper():
        return  # a preamble the bank wrote above the header: the OFX reader decides
    messages = {
        "xlsx": gettext("this is an Excel file: choose XLSX"),
        "xls": gettext("this is an Excel 97-2003 (.xls) file: open it and save it as .xlsx or CSV"),
        "document": gettext("this is a word-processing or presentation document"),
        "zip": gettext("this is a ZIP archive: only CAMT.053 statements may come zipped"),
        "pdf": gettext(
            "this is a PDF: download the statement from the bank as CSV, OFX or CAMT.053"
        ),
        "binary": gettext("this is not a text file (it holds binary data)"),
        "ofx": gettext("this is an OFX file: choose OFX"),
        "camt": gettext("this is an ISO 20022 camt.053 statement: choose CAMT.053"),
        "html": gettext("this is a web page (HTML), not a statement export"),
        "xml": gettext("this is an XML document, not a CSV, Excel or OFX export"),
        "text": gettext("this is a text file (CSV?), not %(format)s: choose CSV"),
    }
    if kind == "xml" and (message := _camt_message(head_text(data))):
        messages["xml"] = gettext(
            "this is an ISO 20022 %(message)s document, not a camt.053 statement"
        ) % {"message": message}
    labels = {"csv": "CSV", "xlsx": "XLSX", "ofx": "OFX", "camt053": "CAMT.053"}
    raise StatementError(messages[kind] % {"format": labels[source_format]})
