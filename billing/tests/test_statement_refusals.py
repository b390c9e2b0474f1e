"""A file that cannot be imported is refused with a :class:`StatementError` naming the
line (or entry, or transaction) and the problem, in words a person reads — never another
exception, never a library's internals. Each case is a corpus file made wrong in one way,
or a file of another kind sent under the wrong format."""

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from billing.statements import PRESETS, StatementError, read_file

CORPUS = Path(__file__).parent / "statements"
SAMPLES = Path(__file__).parent / "samples"
PLAIN = {"date": "Date", "description": "Description", "amount": "Amount"}


def corpus(name: str, *replacements: tuple[bytes, bytes]) -> bytes:
    data = (CORPUS / name).read_bytes()
    for old, new in replacements:
        assert old in data, old
        data = data.replace(old, new)
    return data


def refused(data: bytes, source_format: str, mapping: dict | None = None) -> str:
    with pytest.raises(StatementError) as caught:
        read_file(data, source_format=source_format, mapping=mapping or {})
    return str(caught.value)


def xlsx() -> bytes:
    out = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["Date", "Description", "Amount"])
    workbook.save(out)
    return out.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


CAMT_DAY = (CORPUS / "camt053_month" / "2025-10-01.xml").read_bytes()


# --- a file sent under another format -----------------------------------------------------
@pytest.mark.parametrize(
    ("data", "source_format", "message"),
    [
        (xlsx(), "csv", "this is an Excel file: choose XLSX"),
        (xlsx(), "ofx", "this is an Excel file: choose XLSX"),
        (corpus("rbc.csv"), "ofx", "this is a text file (CSV?), not OFX: choose CSV"),
        (corpus("rbc.csv"), "xlsx", "this is a text file (CSV?), not XLSX: choose CSV"),
        (corpus("ofx_v1_sgml.ofx"), "csv", "this is an OFX file: choose OFX"),
        (corpus("ofx_v2_xml.ofx"), "camt053", "this is an OFX file: choose OFX"),
        (
            corpus("camt053_batch.xml"),
            "csv",
            "this is an ISO 20022 camt.053 statement: choose CAMT.053",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06",
            "csv",
            "this is not a text file (it holds binary data)",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            "ofx",
            "this is a PDF: download the statement from the bank as CSV, OFX or CAMT.053",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "xlsx",
            "this is an Excel 97-2003 (.xls) file: open it and save it as .xlsx or CSV",
        ),
        (
            zipped({"a.txt": b"hello"}),
            "csv",
            "this is a ZIP archive: only CAMT.053 statements may come zipped",
        ),
        (
            b"<!DOCTYPE html><html><body>Session expired</body></html>",
            "csv",
            "this is a web page (HTML), not a statement export",
        ),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            b'camt.054.001.08"><BkToCstmrDbtCdtNtfctn/></Document>',
            "camt053",
            "this is an ISO 20022 camt.054 document, not a camt.053 statement",
        ),
        (b"", "csv", "the file is empty"),
        (b"\r\n  \r\n", "ofx", "the file is empty"),
        (corpus("rbc.csv"), "pdf", "unknown format 'pdf'"),
    ],
    ids=[
        "xlsx-as-csv",
        "xlsx-as-ofx",
        "csv-as-ofx",
        "csv-as-xlsx",
        "ofx-as-csv",
        "ofx-as-camt",
        "camt-as-csv",
        "png-as-csv",
        "pdf-as-ofx",
        "xls-as-xlsx",
        "zip-as-csv",
        "html-as-csv",
        "camt054-as-camt053",
        "empty",
        "blank",
        "unknown",
    ],
)
def test_a_file_of_another_kind_is_refused_saying_what_it_is(data, source_format, message):
    assert refused(data, source_format, PLAIN) == message


# --- CSV ------------------------------------------------------------------------------------
def csv(*rows: str, header: str = "Date,Description,Amount") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "mapping", "message"),
    [
        (csv("2025-09-01,A,NaN"), PLAIN, "line 2: 'NaN' is not an amount"),
        (csv("2025-09-01,A\x00B,1.00"), PLAIN, "line 2: the description contains a NUL byte"),
        (
            csv("2025-09-01," + "x" * 200_000 + ",1.00"),
            PLAIN,
            "line 2: not a readable CSV line (field larger than field limit (131072))",
        ),
        (
            csv('2025-09-01,A,"45,67"'),
            PLAIN,
            "line 2: '45,67' is not an amount written with a decimal point (45.67)",
        ),
        (
            csv("2025-09-01,A,45.67"),
            {**PLAIN, "decimal_comma": True},
            "line 2: '45.67' is not an amount written with a decimal comma (45,67)",
        ),
        (csv("2025-09-01,A,12abc"), PLAIN, "line 2: '12abc' is not an amount"),
        (
            csv("01/09/2025,A,1.00"),
            PLAIN,
            "line 2: '01/09/2025' is not a date (%Y-%m-%d)",
        ),
        (
            csv("2025-09-01,A,5.00,3.00", header="Date,Description,Out,In"),
            {"date": "Date", "debit": "Out", "credit": "In"},
            "line 2: the row has both a debit (5.00) and a credit (3.00)",
        ),
        (
            csv("2025-09-01,A,,-3.00", header="Date,Description,Out,In"),
            {"date": "Date", "debit": "Out", "credit": "In"},
            "line 2: the credit '-3.00' is negative: say which way it goes in a sign column",
        ),
        (
            csv("2025-09-01,A,X,3.00", header="Date,Description,Way,Amount"),
            {"date": "Date", "amount": "Amount", "sign": "Way"},
            "line 2: 'X' in the sign column is neither a debit nor a credit",
        ),
        (
            csv("2025-09-01,A,CR,-3.00", header="Date,Description,Way,Amount"),
            {"date": "Date", "amount": "Amount", "sign": "Way"},
            "line 2: the amount -3.00 is negative but its sign column says 'CR'",
        ),
        (
            corpus("currency_column.csv", (b"-300.00,usd", b"-300.00,CAD")),
            {**PLAIN, "currency": "Currency"},
            "line 4: the amount is in CAD; the statement is in USD",
        ),
        (
            corpus("currency_column.csv", (b"-300.00,usd", b"-300.00,US")),
            {**PLAIN, "currency": "Currency"},
            "line 4: 'US' is not a currency code",
        ),
        (
            corpus(
                "rbc.csv",
                (
                    b"-4.00\n",
                    b'-4.00\n"U.S. Dollar Chequing",05432-7654321,9/30/2025,,FEE,,-1.00,-4.00\n',
                ),
            ),
            PRESETS["rbc"].mapping,
            "line 7: the row has an amount in several currencies (CAD, USD)",
        ),
        (
            corpus("td.csv", (b'"33,446.05"', b'"33,446.00"')),
            PRESETS["td"].mapping,
            "the statement: the balances do not add up: the opening balance 10000.00 plus "
            "the lines (23446.05) makes 33446.05, but the closing balance is 33446.00 "
            "(a difference of -0.05)",
        ),
        (
            corpus("desjardins_accesd.csv", (b'"ES1"', b'"ES"')),
            PRESETS["desjardins"].mapping,
            "the file holds two accounts, '0123456 EOP' and '0123456 ES', that read as the "
            "same number 0123456: export each of them on its own",
        ),
        (
            corpus("bmo.csv")
            + b"First Bank Card,Transaction Type,Date Posted, Transaction Amount,Description\n"
            + b"'500766**********',DEBIT,20250905,-5.00,[SC]FEE\n",
            PRESETS["bmo"].mapping,
            "line 10: the header again: the file holds several accounts' transactions and no "
            "column says which account; export one account at a time",
        ),
        (csv(), PLAIN, "the file holds no transaction to import"),
        (
            corpus("scotiabank.csv", (b"posted", b"pending")),
            PRESETS["scotiabank"].mapping,
            "the file holds no transaction to import (5 pending entries skipped)",
        ),
        (b"Other,Columns\n1,2\n", PLAIN, "line 1: missing column(s) Date"),
        (
            b"Date,Amount\n2025-09-01,5.00\n",
            PLAIN,
            "line 1: missing column(s) Description",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {},
            "this account has no CSV column mapping (date and amount columns)",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {**PLAIN, "amout": "Amount"},
            "the column mapping is not usable: unknown key(s) amout",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {**PLAIN, "header": False},
            "the column mapping is not usable: date must be a column number (from 0) in a "
            "file without header",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {**PLAIN, "delimiter": ";;"},
            "the column mapping is not usable: the delimiter is not one character",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {**PLAIN, "debit_values": ["X"], "credit_values": ["x"]},
            "the column mapping is not usable: a value is both in debit_values and credit_values",
        ),
        (
            csv("2025-09-01,A,1.00"),
            {**PLAIN, "encoding": "klingon"},
            "the mapping's encoding 'klingon' is not one Python knows",
        ),
    ],
    ids=[
        "nan",
        "nul",
        "huge-cell",
        "decimal-comma-read-as-point",
        "point-read-as-comma",
        "not-a-number",
        "date-format",
        "debit-and-credit",
        "negative-credit",
        "unknown-sign",
        "credit-sign-negative-amount",
        "other-currency",
        "bad-currency",
        "two-currency-columns",
        "balances",
        "same-account-number",
        "repeated-header",
        "no-line",
        "only-pending",
        "no-header",
        "missing-column",
        "no-mapping",
        "unknown-key",
        "named-column-without-header",
        "delimiter",
        "debit-and-credit-values",
        "unknown-encoding",
    ],
)
def test_a_csv_that_cannot_be_imported_is_refused_naming_the_line(data, mapping, message):
    assert refused(data, "csv", mapping) == message


# --- OFX ------------------------------------------------------------------------------------
V1 = "ofx_v1_sgml.ofx"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            corpus(V1, (b"<TRNAMT>-1100.00", b"<TRNAMT>NaN")),
            "transaction 1: 'NaN' is not an amount",
        ),
        (
            corpus(V1, (b"<NAME>ANNIE QUMALUK", b"<NAME>ANNIE\x00QUMALUK")),
            "transaction 1: the description contains a NUL byte",
        ),
        (
            corpus(V1, (b"<DTPOSTED>20250916", b"<DTPOSTED>20251345")),
            "transaction 2: '20251345' is not a date",
        ),
        (
            corpus(V1, (b"<TRNAMT>-450.00\r\n", b"")),
            "transaction 3: missing amount or date (TRNAMT, DTPOSTED)",
        ),
        (
            corpus(
                V1,
                (
                    b"<FITID>202509160002",
                    b"<CURRENCY><CURRATE>1.38<CURSYM>USD</CURRENCY><FITID>202509160002",
                ),
            ),
            "transaction 2: the amount is in USD; the statement is in CAD",
        ),
        (
            corpus(V1, (b"<BALAMT>258447.50", b"<BALAMT>lots")),
            "the closing balance (LEDGERBAL): 'lots' is not an amount",
        ),
        (
            corpus(
                V1,
                (
                    b"<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n<DTSERVER>",
                    b"<CODE>15500\r\n<SEVERITY>ERROR\r\n<MESSAGE>Mot de passe expir\xe9"
                    b"\r\n</STATUS>\r\n<DTSERVER>",
                ),
            ),
            "the bank answered with an error instead of a statement (15500: Mot de passe expiré)",
        ),
        (b"OFXHEADER:100\nDATA:OFXSGML\n\nnonsense", "not a readable OFX file (no <OFX> element)"),
        (
            b"OFXHEADER:100\n<OFX>" + b"<A>" * 60 + b"x" + b"</A>" * 60 + b"</OFX>",
            "not a readable OFX file (its elements are nested too deeply)",
        ),
        (
            b"OFXHEADER:100\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>",
            "the file holds no bank or credit card statement",
        ),
        (
            corpus("ofx_no_ledgerbal_long_ids.ofx", (b"<STMTTRN>", b"<STMTTRNX>")),
            "the file holds no transaction to import",
        ),
        (
            corpus(V1, (b"<NAME>ANNIE QUMALUK", b"<NAME>ANNIE \x81")),
            "line 47: byte 0x81 is not in the character set the file declares",
        ),
        (
            corpus("desjardins_multi.ofx", (b"<ACCTID>300010123464", b"<ACCTID>300010123456-ES")),
            "the file holds two accounts, '300010123456' and '300010123456-ES', that read as "
            "the same number 300010123456: export each of them on its own",
        ),
    ],
    ids=[
        "nan",
        "nul",
        "date",
        "no-amount",
        "foreign-currency",
        "balance",
        "signon-error",
        "no-ofx-element",
        "nested",
        "no-statement",
        "no-transaction",
        "charset",
        "same-account-number",
    ],
)
def test_an_ofx_that_cannot_be_imported_is_refused_naming_the_transaction(data, message):
    assert refused(data, "ofx") == message


# --- camt.053 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            corpus("camt053_v02_balances.xml", (b">2697.50<", b">2700.00<")),
            "account FR7630004000031234567890143 CAD: the balances do not add up: the opening "
            "balance 10000.00 plus the lines (-7302.50) makes 2697.50, but the closing "
            "balance is 2700.00 (a difference of 2.50)",
        ),
        (
            corpus(
                "camt053_v02_balances.xml",
                (b'<Amt Ccy="CAD">1100.00', b'<Amt Ccy="USD">1100.00'),
            ),
            "entry 2: the amount is in USD; the statement is in CAD",
        ),
        (
            corpus("camt053_value_date_only.xml", (b"<ValDt><Dt>2025-11-10</Dt></ValDt>", b"")),
            "entry 1: missing amount, credit/debit indicator or date",
        ),
        (
            corpus(
                "camt053_v08_balances.xml",
                (
                    b'<Amt Ccy="CAD">1500.00</Amt><CdtDbtInd>DBIT',
                    b'<Amt Ccy="CAD">1500.00</Amt><CdtDbtInd>',
                ),
            ),
            "balance PRCD: missing credit/debit indicator",
        ),
        (
            corpus(
                "camt053_batch.xml",
                (b'<Amt Ccy="CAD">1100.00</Amt></TxAmt>', b'<Amt Ccy="CAD">11OO.00</Amt></TxAmt>'),
            ),
            "entry 1, transaction 1: '11OO.00' is not an amount",
        ),
        (
            corpus("camt053_pending.xml", (b"<Cd>BOOK</Cd>", b"<Cd>PDNG</Cd>")),
            "the file holds no transaction to import (4 pending entries skipped)",
        ),
        (
            (SAMPLES / "xxe.xml").read_bytes(),
            "refused: the XML declares DTDForbidden (entities or a DTD)",
        ),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            b'camt.053.001.02"><Other/></Document>',
            "not an ISO 20022 camt.053 document",
        ),
    ],
    ids=[
        "balances",
        "other-currency",
        "no-date",
        "balance-sign",
        "detail-amount",
        "only-pending",
        "entities",
        "not-a-statement",
    ],
)
def test_a_camt053_that_cannot_be_imported_is_refused_naming_the_entry(data, message):
    assert refused(data, "camt053") == message


def test_a_zip_holding_anything_but_camt053_is_refused_naming_the_member():
    data = zipped({"2025-10-01.xml": CAMT_DAY, "notes.txt": b"pour Finance"})

    assert refused(data, "camt053") == (
        "notes.txt: this file of the archive is not a camt.053 statement"
    )


def test_a_zip_inside_a_zip_is_refused():
    data = zipped({"inner.zip": zipped({"2025-10-01.xml": CAMT_DAY})})

    assert refused(data, "camt053") == (
        "inner.zip: this file of the archive is not a camt.053 statement"
    )


def test_a_problem_in_a_zipped_statement_names_the_member_and_the_entry():
    wrong = CAMT_DAY.replace(b">3900.00<", b">3901.00<")
    data = zipped({"2025-10-01.xml": wrong})

    assert refused(data, "camt053").startswith(
        "2025-10-01.xml: account 1234567 CAD: the balances do not add up"
    )


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = zipped({"2025-10-01.xml": CAMT_DAY, "big.xml": bytes(51 * 1024 * 1024)})

    assert len(data) < 200_000
    assert refused(data, "camt053") == ("the ZIP archive unpacks to more than 50 MB; it is refused")


def test_a_zip_of_too_many_files_is_refused():
    data = zipped({f"{n:04}.xml": CAMT_DAY for n in range(401)})

    assert refused(data, "camt053") == "the ZIP archive holds 401 files; 400 at most are read"


def test_a_damaged_zip_member_is_refused_naming_it():
    data = bytearray(zipped({"2025-10-01.xml": CAMT_DAY}))
    start = data.index(b"2025-10-01.xml") + len("2025-10-01.xml")
    data[start + 20 : start + 40] = bytes(20)  # inside the compressed bytes

    assert refused(bytes(data), "camt053") == "2025-10-01.xml: the file cannot be unpacked"


def test_an_empty_zip_is_refused():
    assert refused(zipped({}), "camt053") == "the ZIP archive holds no file"
