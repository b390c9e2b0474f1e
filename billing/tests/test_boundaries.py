"""The boundaries of the finance screens, for any input (hypothesis): a parser returns lines
that fit the columns or refuses the file with a StatementError; a screen answers below 500
whatever the query string or the posted body, and a refused request keeps nothing."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, quote_from_bytes
from xml.sax.saxutils import escape

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from avataq.tests.factories import StaffUserFactory
from billing import services
from billing.models import (
    BankAccount,
    BankStatement,
    Match,
    RejectedSuggestion,
    ScheduledPayment,
    SchoolInvoice,
    StatementLine,
)
from billing.statements import (
    FORMATS,
    ParsedLine,
    StatementError,
    dedup_keys,
    parse_camt053,
    parse_csv,
    parse_ofx,
    read_file,
)
from billing.tests.factories_payments import validated_living_payments
from scholarships.tests.factories import ScholarYearFactory, SchoolFactory

pytestmark = [
    pytest.mark.django_db,
    # ofxtools warns about every odd tag of the malformed files generated here.
    pytest.mark.filterwarnings("ignore::UserWarning:ofxtools"),
]
SAMPLES = Path(__file__).parent / "samples"
PURE = settings(max_examples=100, deadline=None)
DB = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MAPPING = {
    "date": "Date",
    "amount": "Amount",
    "description": "Description",
    "reference": "Reference",
    "counterparty": "Payee",
    "bank_id": "Id",
}
HEADER = ["Date", "Amount", "Description", "Reference", "Payee", "Id"]
TRICKY = [
    "",
    "0",
    "-0",
    "NaN",
    "sNaN",
    "-Infinity",
    "1e15",
    "1e999999",
    "0E+9999",
    "9999999999.99",
    "9999999999.995",
    "-1100.00",
    "(5.00)",
    "$1,234.56",
    "²",
    "\x00",
    "A\x00B",
    "0001-01-01",
    "9999-12-31",
    "1970-01-01",
    "x" * 300,
]


# --- parsers: arbitrary input → lines that fit the columns, or StatementError ---------------
def assert_storable(lines: list[ParsedLine]) -> None:
    """What the import stores from ``lines`` fits every column it goes to."""
    amount = StatementLine._meta.get_field("amount")
    largest = 10 ** (amount.max_digits - amount.decimal_places)
    today = timezone.localdate()
    for line in lines:
        assert line.amount.is_finite() and line.amount != 0
        assert abs(line.amount) < largest
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        assert dt.date(1970, 1, 1) <= line.booked_on <= today + dt.timedelta(days=366)
        for field in ("description", "reference", "counterparty", "bank_id", "raw"):
            text = getattr(line, field)
            assert "\x00" not in text
            text.encode("utf-8")
        for field in ("reference", "counterparty", "bank_id"):
            assert len(getattr(line, field)) <= StatementLine._meta.get_field(field).max_length
    dedup = StatementLine._meta.get_field("dedup_key").max_length
    assert all(len(key) <= dedup for key in dedup_keys(lines))


def parses_or_refuses(parse, *args) -> None:
    try:
        lines = parse(*args)
    except StatementError:
        event("refused")
        return
    event("read" if lines else "read, no line")
    assert_storable(lines)


cells = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30))
# Plausible values as often as odd ones, so that some files are read.
plausible_dates = st.dates(dt.date(1960, 1, 1), dt.date(2040, 12, 31)).map(dt.date.isoformat)
plausible_amounts = st.decimals(min_value=-(10**11), max_value=10**11, places=2).map(str)
dates = st.one_of(plausible_dates, st.dates().map(dt.date.isoformat), cells)
amounts = st.one_of(
    plausible_amounts, st.decimals(allow_nan=True, allow_infinity=True).map(str), cells
)
texts = st.text(max_size=30)
rows = st.one_of(
    st.tuples(plausible_dates, plausible_amounts, texts, texts, texts, texts).map(list),
    st.tuples(dates, amounts, cells, cells, cells, cells).map(list),
    st.lists(cells, max_size=8),
)


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


@PURE
@given(data=st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(csv_bytes([]).__add__)))
def test_any_bytes_read_as_csv_give_storable_lines_or_a_statement_error(data):
    parses_or_refuses(parse_csv, data, MAPPING)


@PURE
@given(table=st.lists(rows, max_size=4))
def test_any_csv_cells_give_storable_lines_or_a_statement_error(table):
    parses_or_refuses(parse_csv, csv_bytes(table), MAPPING)


def ofx(amount: bytes, date: bytes, name: bytes) -> bytes:
    return (
        (SAMPLES / "statement.ofx")
        .read_bytes()
        .replace(b"<TRNAMT>-1100.00", b"<TRNAMT>" + amount)
        .replace(b"<DTPOSTED>20250901", b"<DTPOSTED>" + date)
        .replace(b"ANNIE QUMALUK", name)
    )


raw_text = st.one_of(st.binary(max_size=20), cells.map(str.encode))
ofx_dates = st.one_of(plausible_dates, dates).map(lambda d: d.replace("-", "").encode())


@PURE
@given(data=st.binary(max_size=400))
def test_any_bytes_read_as_ofx_give_storable_lines_or_a_statement_error(data):
    parses_or_refuses(parse_ofx, data)


@PURE
@given(
    amount=st.one_of(amounts.map(str.encode), raw_text),
    date=st.one_of(ofx_dates, raw_text),
    name=st.one_of(
        st.from_regex(r"[A-Z][A-Z0-9 .-]{0,30}", fullmatch=True).map(str.encode), raw_text
    ),
)
def test_any_ofx_amount_date_and_name_give_storable_lines_or_a_statement_error(amount, date, name):
    parses_or_refuses(parse_ofx, ofx(amount, date, name))


CAMT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
    "<Ntry><Amt>{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><BookgDt><Dt>{date}</Dt></BookgDt>"
    "<AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>{ref}</EndToEndId>"
    "</Refs><RltdPties><Cdtr><Nm>{name}</Nm></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>"
    "</Stmt></BkToCstmrStmt></Document>"
)


def camt(amount: str, date: str, ref: str = "E1", name: str = "", sign: str = "DBIT") -> bytes:
    values = {"amount": amount, "date": date, "ref": ref, "name": name, "sign": sign}
    return CAMT.format(**{k: escape(v) for k, v in values.items()}).encode()


@PURE
@given(
    data=st.one_of(
        st.binary(max_size=400), st.binary(max_size=400).map(camt("1", "2025-10-01")[:120].__add__)
    )
)
def test_any_bytes_read_as_camt053_give_storable_lines_or_a_statement_error(data):
    parses_or_refuses(parse_camt053, data)


@PURE
@given(
    amount=amounts,
    date=st.one_of(dates, st.datetimes().map(dt.datetime.isoformat)),
    ref=cells,
    name=cells,
    sign=st.sampled_from(["DBIT", "CRDT"]),
)
def test_any_camt053_amount_and_date_text_give_storable_lines_or_a_statement_error(
    amount, date, ref, name, sign
):
    parses_or_refuses(parse_camt053, camt(amount, date, ref, name, sign))


# --- read_file: every format, the new paths (Excel, ZIP, sign columns) ----------------------
def reads_or_refuses(data: bytes, source_format: str, mapping: dict | None = None) -> None:
    """``read_file`` gives statements whose lines fit the columns, or a StatementError."""
    try:
        statements = read_file(data, source_format=source_format, mapping=mapping or {})
    except StatementError:
        event("refused")
        return
    event(f"read, {len(statements)} statement(s)")
    assert statements
    for statement in statements:
        assert_storable(statement.lines)
        assert statement.currency == "" or len(statement.currency) == 3
        assert statement.account.isalnum() or statement.account == ""
        if statement.opening is not None and statement.closing is not None:
            total = sum((line.amount for line in statement.lines), Decimal(0))
            assert statement.opening + total == statement.closing


@PURE
@given(data=st.binary(max_size=400), source_format=st.sampled_from(FORMATS))
@example(data=b"$", source_format="csv")
def test_any_bytes_in_any_format_give_statements_or_a_statement_error(data, source_format):
    reads_or_refuses(data, source_format, MAPPING)


SIGNED = {
    "date": "Date",
    "amount": "Amount",
    "sign": "Way",
    "description": "Description",
    "balance": "Balance",
    "currency": "Currency",
    "invert_sign": False,
}
ways = st.one_of(
    st.sampled_from(["D", "C", "DR", "CR", "Débit", "Crédit", "debit", "CREDIT", "", "X"]), cells
)
known_ways = st.sampled_from(["D", "C", "DR", "CR", "Débit", "Crédit", "debit", "CREDIT"])
signed_rows = st.one_of(
    st.tuples(plausible_dates, plausible_amounts, known_ways, texts, st.just(""), st.just("CAD")),
    st.tuples(plausible_dates, plausible_amounts, ways, texts, plausible_amounts, st.just("CAD")),
    st.tuples(dates, amounts, ways, cells, amounts, st.sampled_from(["CAD", "usd", "", "XX"])),
).map(list)


def signed_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "Amount", "Way", "Description", "Balance", "Currency"])
    writer.writerows(rows)
    return out.getvalue().encode()


@PURE
@given(table=st.lists(signed_rows, max_size=5), invert=st.booleans(), comma=st.booleans())
def test_any_csv_with_a_sign_column_gives_statements_or_a_statement_error(table, invert, comma):
    mapping = {**SIGNED, "invert_sign": invert, "decimal_comma": comma}

    reads_or_refuses(signed_csv(table), "csv", mapping)


DEBIT_CREDIT = {"date": "Date", "debit": "Amount", "credit": "Way", "balance": "Balance"}


@PURE
@given(table=st.lists(signed_rows, max_size=5))
def test_any_csv_with_debit_and_credit_columns_gives_statements_or_a_statement_error(table):
    reads_or_refuses(signed_csv(table), "csv", DEBIT_CREDIT)


excel_cells = st.one_of(
    st.none(),
    cells,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    # Excel's date-times have no time zone.
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)).map(
        lambda day: dt.datetime.combine(day, dt.time(21, 30))
    ),
    st.booleans(),
    plausible_dates,
    plausible_amounts,
)


def workbook(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    for row in rows:
        # Control characters are what Excel itself cannot hold: the workbook leaves them out.
        book.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


plausible_excel_rows = st.tuples(
    st.one_of(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)), plausible_dates),
    st.one_of(st.decimals(-(10**9), 10**9, places=2).map(float), plausible_amounts),
    texts,
    texts,
    texts,
    st.one_of(st.none(), st.integers(0, 10**12)),
).map(list)


@settings(max_examples=60, deadline=None)
@given(
    table=st.one_of(
        st.lists(plausible_excel_rows, max_size=4),
        st.lists(st.one_of(plausible_excel_rows, st.lists(excel_cells, max_size=7)), max_size=4),
    ),
    header=st.booleans(),
)
def test_any_excel_cells_give_statements_or_a_statement_error(table, header):
    rows = [HEADER, *table] if header else table

    reads_or_refuses(workbook(rows), "xlsx", MAPPING)


@PURE
@given(data=st.binary(max_size=400), source_format=st.sampled_from(["xlsx", "camt053"]))
def test_any_bytes_after_a_zip_signature_give_statements_or_a_statement_error(data, source_format):
    reads_or_refuses(b"PK\x03\x04" + data, source_format, MAPPING)


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


member_names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=12
)
members = st.one_of(
    st.binary(max_size=200),
    st.tuples(amounts, dates, cells).map(lambda t: camt(*t)),
    st.tuples(plausible_amounts.map(lambda a: a.lstrip("-")), plausible_dates).map(
        lambda t: camt(t[0], t[1])
    ),
)


@PURE
@given(archive=st.dictionaries(member_names, members, max_size=3))
def test_any_zip_of_statements_gives_statements_or_a_statement_error(archive):
    reads_or_refuses(zipped(archive), "camt053")


# --- screens: any query string or body → below 500; a refusal keeps nothing ------------------
def stored() -> tuple[int, int, int, int]:
    return (
        BankStatement.objects.count(),
        StatementLine.objects.count(),
        Match.objects.count(),
        RejectedSuggestion.objects.count(),
    )


def answered(client, method: str, path: str, before: tuple, **kwargs):
    """``client``'s answer, checked: below 500, and nothing new stored when refused (an
    error status, or an error message without a success)."""
    client.cookies.pop("messages", None)  # only this request's messages
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code < 500
    levels = {m.level for m in get_messages(response.wsgi_request)}
    event(f"{response.status_code} {sorted(levels)}")
    if response.status_code >= 400 or (messages.ERROR in levels and messages.SUCCESS not in levels):
        assert stored() == before
    return response


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


@pytest.fixture
def account() -> BankAccount:
    return BankAccount.objects.create(
        name="Ops", institution="Desjardins", account_number="4567", csv_mapping=MAPPING
    )


@pytest.fixture
def statement(account) -> BankStatement:
    """A statement to reconcile against the fall living payments of student 12345 and a
    school invoice D-44."""
    payments = validated_living_payments()
    SchoolInvoice.objects.create(
        school=SchoolFactory(),
        invoice_number="D-44",
        scholar_year=ScholarYearFactory(),
        issued_on=dt.date(2025, 9, 10),
        total=Decimal("2200.00"),
        status="paid",
    )
    rows = [
        ["2025-09-02", "-1100.00", "VIREMENT TUKALAK", "", "", ""],
        ["2025-10-02", "-2200.00", "VIREMENT DOUBLE", "", "", ""],
        ["2025-10-03", "-2.50", "FRAIS", "", "", ""],
        ["2025-10-04", "-1100.00", f"VIREMENT {payments[2].reference}", "", "", ""],
    ]
    return services.statement_import(
        account=account, data=csv_bytes(rows), filename="fall.csv", source_format="csv"
    )


def ids(statement: BankStatement) -> dict[str, list[str]]:
    """What a person would post on the statement's page: its lines, open payments."""
    return {
        "line": [str(pk) for pk in statement.lines.values_list("pk", flat=True)],
        "payment": [str(pk) for pk in ScheduledPayment.objects.values_list("pk", flat=True)],
    }


values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=30),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0.85", "1", "2.50", "1100.00", "bank fee", "D-44", "d-44"]),
)
raw_query = st.binary(max_size=60).map(quote_from_bytes)


@DB
@given(q=st.one_of(raw_query, values.map(quote)))
def test_any_search_answers_below_500_and_stores_nothing(finance, statement, q):
    before = stored()

    answered(finance, "get", f"/finance/statements/{statement.pk}/?q={q}", before)

    assert stored() == before


@DB
@given(days=st.one_of(raw_query, values.map(quote)), export=st.one_of(raw_query, values))
@example(days="1000000", export="")  # found on main: timedelta overflow
def test_any_report_query_answers_below_500(finance, days, export):
    answered(finance, "get", f"/finance/reports/?days={days}&format={quote(export)}", stored())


@DB
@given(data=st.data())
def test_any_accept_body_answers_below_500_and_a_refusal_stores_nothing(finance, statement, data):
    line = st.one_of(values, st.sampled_from(ids(statement)["line"]))
    body = data.draw(st.fixed_dictionaries({}, optional={"line": line, "threshold": values}))

    answered(finance, "post", f"/finance/statements/{statement.pk}/accept/", stored(), data=body)


@DB
@given(data=st.data())
def test_any_reject_body_answers_below_500_and_a_refusal_stores_nothing(finance, statement, data):
    line = data.draw(st.one_of(values, st.sampled_from(ids(statement)["line"])))

    path = f"/finance/statements/{statement.pk}/reject/"
    answered(finance, "post", path, stored(), data={"line": line})


@DB
@given(data=st.data(), line=st.integers(0, 3))
def test_any_manual_match_body_answers_below_500_and_a_refusal_stores_nothing(
    finance, statement, data, line
):
    payment = st.one_of(values, st.sampled_from(ids(statement)["payment"]))
    body = {
        "payment": data.draw(st.lists(payment, max_size=3)),
        "amount": data.draw(st.lists(values, max_size=3)),
    }

    pk = statement.lines.order_by("pk")[line].pk
    answered(finance, "post", f"/finance/lines/{pk}/match/", stored(), data=body)


@DB
@given(invoice=values, amount=values, line=st.integers(0, 3))
def test_any_invoice_match_body_answers_below_500_and_a_refusal_stores_nothing(
    finance, statement, invoice, amount, line
):
    pk = statement.lines.order_by("pk")[line].pk
    body = {"invoice": invoice, "amount": amount}
    answered(finance, "post", f"/finance/lines/{pk}/invoice/", stored(), data=body)


@DB
@given(
    amount=st.one_of(values, st.sampled_from(["0.01", "2.50", "5.00"])),
    reason=values,
    line=st.integers(0, 3),
)
@example(amount="2.50", reason="bank\x00fee", line=2)  # found on main: NUL into PostgreSQL
def test_any_write_off_body_answers_below_500_and_a_refusal_stores_nothing(
    finance, statement, amount, reason, line
):
    pk = statement.lines.order_by("pk")[line].pk
    body = {"amount": amount, "reason": reason}
    answered(finance, "post", f"/finance/lines/{pk}/write-off/", stored(), data=body)


@DB
@given(pk=st.integers(min_value=0, max_value=10**30))
def test_any_undo_id_answers_below_500(finance, pk):
    answered(finance, "post", f"/finance/matches/{pk}/undo/", stored())


# Names the test client can send (a browser's quotes and slashes are its own business, and
# Django itself refuses "." and "..").
filenames = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters='"\\/\r\n'),
    min_size=1,
    max_size=20,
).filter(lambda name: name not in {".", ".."})


@DB
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(rows, max_size=3).map(csv_bytes),
        st.tuples(amounts, dates, cells).map(lambda t: camt(*t)),
    ),
    source_format=st.one_of(st.sampled_from(["csv", "ofx", "camt053"]), st.text(max_size=10)),
    account_id=st.integers(0, 3).flatmap(lambda n: values if n == 0 else st.none()),
    filename=filenames,
)
def test_any_upload_answers_below_500_and_a_refusal_stores_nothing(
    finance, account, data, source_format, account_id, filename
):
    body = {
        "account": account.pk if account_id is None else account_id,
        "format": source_format,
        "file": SimpleUploadedFile(filename, data),
    }
    answered(finance, "post", "/finance/statements/upload/", stored(), data=body)
