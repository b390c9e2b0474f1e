import pytest

from documents import keys


def key(**overrides) -> str:
    fields = {
        "status_no": "12345",
        "scholar_year": "2025-2026",
        "document_type": "Proof of enrollment",
        "qualifier": "fall",
        "filename": "Scan 3.PDF",
        **overrides,
    }
    return keys.document_key(**fields).key


def test_key_is_status_no_year_slug_and_lower_cased_extension():
    assert key() == "12345/2025-2026/proof-of-enrollment-fall.pdf"


def test_key_without_qualifier_is_the_type_slug_alone():
    assert key(document_type="Direct deposit form", qualifier="") == (
        "12345/2025-2026/direct-deposit-form.pdf"
    )


def test_accents_are_folded_by_slugify():
    assert (
        key(document_type="Relevé de notes", qualifier="") == "12345/2025-2026/releve-de-notes.pdf"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"document_type": "ᐊᕙᑕᖅ"}, "document type 'ᐊᕙᑕᖅ' gives an empty slug"),
        ({"document_type": "!!!"}, "gives an empty slug"),
        ({"qualifier": "ᐊᕙᑕᖅ"}, "qualifier 'ᐊᕙᑕᖅ' gives an empty slug"),
        ({"document_type": "../../etc/passwd"}, "contains a path separator or '..'"),
        ({"filename": "../proof.pdf"}, "contains a path separator or '..'"),
        ({"filename": "proof"}, "has no usable extension"),
        ({"filename": "proof.p d f"}, "has no usable extension"),
        ({"status_no": "12a45"}, "status_no '12a45' is not 1 to 12 digits"),
        ({"status_no": "../12"}, "is not 1 to 12 digits"),
        ({"status_no": "1234567890123"}, "is not 1 to 12 digits"),
        ({"scholar_year": "2025-2027"}, "not two consecutive years"),
        ({"scholar_year": "2025/2026"}, "not two consecutive years"),
    ],
)
def test_inputs_that_would_make_a_bad_key_are_refused_naming_the_part(overrides, message):
    with pytest.raises(keys.InvalidKey, match=message.replace("(", r"\(").replace(".", r"\.")):
        key(**overrides)


@pytest.mark.parametrize(
    ("qualifier", "slug"),
    [
        ("INV 2025/17", "transcript-inv-2025-17"),
        ("fall/../x", "transcript-fall-x"),
        ("A\\B", "transcript-a-b"),
    ],
)
def test_a_qualifiers_separators_become_dashes_never_a_path(qualifier, slug):
    parts = keys.document_key(
        status_no="12345",
        scholar_year="2025-2026",
        document_type="transcript",
        qualifier=qualifier,
        filename="t.pdf",
    )

    assert parts.key == f"12345/2025-2026/{slug}.pdf"


def test_numbered_keys_for_further_documents_wanting_the_same_key():
    parts = keys.document_key(
        status_no="12345", scholar_year="2025-2026", document_type="transcript", filename="t.pdf"
    )

    assert [keys.numbered(parts, n) for n in (1, 2, 3)] == [
        "12345/2025-2026/transcript.pdf",
        "12345/2025-2026/transcript-2.pdf",
        "12345/2025-2026/transcript-3.pdf",
    ]


def test_archive_key_sits_in_the_year_archive_folder():
    assert keys.archive_key("12345/2025-2026/transcript.pdf", "20251020T101500") == (
        "12345/2025-2026/_archive/transcript.20251020T101500.pdf"
    )


def test_parse_key_reads_the_parts_back():
    parts = keys.parse_key("12345/2025-2026/proof-of-enrollment-fall.pdf")

    assert (parts.status_no, parts.scholar_year, parts.slug, parts.ext) == (
        "12345",
        "2025-2026",
        "proof-of-enrollment-fall",
        "pdf",
    )


@pytest.mark.parametrize(
    "bad", ["12345/2025-2026/../x.pdf", "12345/2025-2027/x.pdf", "x/2025-2026/a.pdf", "a.pdf"]
)
def test_parse_key_refuses_what_is_not_a_document_key(bad):
    with pytest.raises(keys.InvalidKey):
        keys.parse_key(bad)
