import io

import pytest

from documents import filetypes
from documents.tests.factories import EXE, HEIC, HTML, JPEG, PDF, PNG, SVG, office


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, filetypes.PDF),
        (PNG, filetypes.PNG),
        (JPEG, filetypes.JPEG),
        (HEIC, filetypes.HEIC),
        (office("docx"), filetypes.DOCX),
        (office("xlsx"), filetypes.XLSX),
    ],
    ids=["pdf", "png", "jpeg", "heic", "docx", "xlsx"],
)
def test_allowed_types_are_recognised_by_their_bytes(content, expected):
    assert filetypes.sniff(io.BytesIO(content)) == expected


@pytest.mark.parametrize(
    ("content", "described"),
    [
        (HTML, "an HTML page"),
        (SVG, "an SVG image"),
        (EXE, "a Windows executable"),
        (b"\x7fELF\x02\x01", "a Linux executable"),
        (b"GIF89a....", "a GIF image"),
        (b"", "empty"),
        (b"hello, plain text", "of a type we cannot recognise"),
    ],
)
def test_other_files_are_refused_saying_what_they_are(content, described):
    with pytest.raises(filetypes.RefusedFile, match=f"the file is {described}"):
        filetypes.sniff(io.BytesIO(content))


def test_a_zip_that_is_not_an_office_document_is_refused():
    with pytest.raises(filetypes.RefusedFile, match="ZIP archive that is not a Word or Excel"):
        filetypes.sniff(io.BytesIO(office("zip")))


def test_sniffing_leaves_the_file_at_its_start():
    file = io.BytesIO(office("docx"))

    filetypes.sniff(file)

    assert file.tell() == 0
