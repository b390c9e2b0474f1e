"""Every file of the corpus (``billing/tests/statements/``) reads as its manifest says:
its statements, each with its account, currency, balances, lines and notes."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from billing.statements import PRESETS, StatementError, dedup_keys, read_file
from billing.tests.statements.expected import FILES, REFUSED

CORPUS = Path(__file__).parent / "statements"


def corpus_bytes(name: str) -> bytes:
    """The file, or the ZIP the manifest says to make of a folder (sorted, fixed dates)."""
    folder = FILES.get(name, {}).get("build")
    if not folder:
        return (CORPUS / name).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted((CORPUS / folder).iterdir()):
            info = zipfile.ZipInfo(member.name, date_time=(2025, 10, 3, 0, 0, 0))
            archive.writestr(info, member.read_bytes(), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def mapping_of(spec: dict) -> dict:
    mapping = spec.get("mapping", {})
    return PRESETS[mapping].mapping if isinstance(mapping, str) else mapping


def read(name: str):
    spec = FILES[name]
    return read_file(corpus_bytes(name), source_format=spec["format"], mapping=mapping_of(spec))


def test_every_file_of_the_corpus_has_its_expected_result():
    folders = {spec["build"] for spec in FILES.values() if "build" in spec}
    present = {
        path.name
        for path in CORPUS.iterdir()
        if path.suffix not in {".py", ".pyc"} and path.name not in folders | {"__pycache__"}
    }
    listed = {name for name, spec in FILES.items() if "build" not in spec} | set(REFUSED)

    assert present == listed


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_corpus_file_reads_as_its_manifest_says(name):
    expected = FILES[name]["statements"]

    statements = read(name)

    assert len(statements) == len(expected)
    for statement, spec in zip(statements, expected, strict=True):
        assert (statement.account, statement.currency) == (spec["account"], spec["currency"])
        assert (statement.opening, statement.closing) == (spec["opening"], spec["closing"])
        assert len(statement.lines) == spec["count"]
        assert sum((line.amount for line in statement.lines), Decimal(0)) == spec["total"]
        assert statement.notes == spec.get("notes", [])
        for index, (date, amount, bank_id, description) in spec["lines"].items():
            line = statement.lines[index]
            assert (line.booked_on, line.amount, line.bank_id, line.description) == (
                dt.date.fromisoformat(date),
                Decimal(amount),
                bank_id,
                description,
            )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_corpus_file_that_is_no_bank_statement_is_refused_saying_why(name):
    source_format, message = REFUSED[name]

    with pytest.raises(StatementError) as refused:
        read_file((CORPUS / name).read_bytes(), source_format=source_format, mapping={})

    assert str(refused.value) == message


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_line_of_a_corpus_file_gets_its_own_key(name):
    for statement in read(name):
        keys = dedup_keys(statement.lines)
        assert len(set(keys)) == len(keys)


def test_entries_sharing_an_end_to_end_id_are_all_kept_with_their_reference():
    (statement,) = read("camt053_duplicate_endtoend.xml")

    assert [line.reference for line in statement.lines] == ["DON-MENSUEL"] * 4
    assert {line.bank_id for line in statement.lines} == {""}
    assert len(set(dedup_keys(statement.lines))) == 4


def test_entries_sharing_an_end_to_end_id_are_not_taken_for_one_another():
    # The same file without its pending entry, which older readers could not date.
    data = corpus_bytes("camt053_duplicate_endtoend.xml")
    data = data[: data.rindex(b"<Ntry>")] + data[data.rindex(b"</Ntry>") + len(b"</Ntry>") :]

    (statement,) = read_file(data, source_format="camt053", mapping={})

    assert len(set(dedup_keys(statement.lines))) == len(statement.lines) == 4


def test_an_ofx_date_is_the_day_the_bank_printed_not_the_utc_day():
    (statement,) = read("ofx_v1_sgml.ofx")

    # 20:20 EDT on the 15th is 00:20 UTC on the 16th; 23:00 EST on the 30th is October 1st.
    assert [line.booked_on.day for line in statement.lines] == [15, 16, 22, 30]


def test_the_ofx_specifications_own_example_is_the_15th():
    data = corpus_bytes("ofx_v1_sgml.ofx").replace(
        b"<DTPOSTED>20250915202000[-4:EDT]", b"<DTPOSTED>20091215202000[-4:EST]"
    )

    (statement,) = read_file(data, source_format="ofx", mapping={})

    assert statement.lines[0].booked_on == dt.date(2009, 12, 15)


def test_the_accounts_and_currencies_of_one_ofx_file_stay_apart():
    statements = read("desjardins_multi.ofx")

    assert [(s.account, s.currency, len(s.lines)) for s in statements] == [
        ("300010123456", "CAD", 3),
        ("300010123464", "CAD", 1),
        ("300010765432", "USD", 2),
    ]


def test_a_batch_entry_gives_each_transfer_its_payee_and_reference():
    (statement,) = read("camt053_batch.xml")

    assert [(line.counterparty, line.reference) for line in statement.lines[:3]] == [
        ("Annie Qumaluk", "AVQ-2025F-100001-05"),
        ("Jaaji Tukalak", "AVQ-2025F-100002-05"),
        ("Eva May", "AVQ-2025F-100003-05"),
    ]


def test_a_camt_entry_names_its_payer_or_payee_in_every_version():
    (v02,) = read("camt053_v02_balances.xml")
    (v08,) = read("camt053_v08_balances.xml")

    assert [line.counterparty for line in v02.lines[:3]] == [
        "Kativik Ilisarniliriniq",
        "Annie Qumaluk",
        "Cégep de Sept-Îles",
    ]
    assert v08.lines[1].counterparty == "Jaaji Tukalak"
    assert v08.lines[1].reference == "AVQ-2025F-100002-05"


def test_a_cheque_number_is_the_lines_reference():
    (ofx,) = read("ofx_v1_sgml.ofx")
    (rbc, _) = read("rbc.csv")

    assert (ofx.lines[2].reference, ofx.lines[3].reference) == ("1043", "SC-0930")
    assert rbc.lines[2].reference == "1043"
