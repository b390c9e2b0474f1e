"""Reading a table through a column mapping: amounts as banks write them, the way money
went (signed amounts, debit/credit columns, a sign column, inverted card exports), the
balances a running-balance column gives in either order, and the banks' presets."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.statements import PRESETS, ParsedLine, StatementError, dedup_keys, layout, read_file
from billing.statements.amounts import parse_amount


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("45.67", False, "45.67"),
        ("-45.67", False, "-45.67"),
        ("+45.67", False, "45.67"),
        ("45.67-", False, "-45.67"),
        ("(45.67)", False, "-45.67"),
        ("($45.67)", False, "-45.67"),
        ("$1,234.56", False, "1234.56"),
        ("-$1,234.56", False, "-1234.56"),
        ("$-1,234.56", False, "-1234.56"),
        ("CA$1,234.56", False, "1234.56"),
        ("1,234,567.89", False, "1234567.89"),
        ("1'234.56", False, "1234.56"),
        ("1 234.56", False, "1234.56"),
        ("1\u00a0234.56", False, "1234.56"),
        ("USD 45.67", False, "45.67"),
        (".5", False, "0.50"),
        ("1100", False, "1100.00"),
        ("45,67", True, "45.67"),
        ("1 234,56 $", True, "1234.56"),
        ("1\u202f234,56\u00a0$", True, "1234.56"),
        ("1.234,56", True, "1234.56"),
        ("-1 234,56", True, "-1234.56"),
        ("1 234,56-", True, "-1234.56"),
        ("(45,67)", True, "-45.67"),
        ("\u22121 234,56", True, "-1234.56"),
        ("1e3", False, "1000.00"),
    ],
)
def test_an_amount_is_read_as_the_bank_writes_it(text, comma, expected):
    assert parse_amount(text, decimal_comma=comma) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "comma"),
    [
        ("1,23", False),  # a decimal comma where a point is expected: not 123
        ("1.2.3", False),
        ("12,34,5", False),
        ("1 2 3", False),
        ("--5", False),
        ("5-5", False),
        ("$", False),
        ("1,2,3", True),
        ("abc", False),
        ("NaN", False),
    ],
)
def test_an_amount_in_no_known_writing_is_refused(text, comma):
    with pytest.raises(StatementError, match="is not an amount"):
        parse_amount(text, decimal_comma=comma)


def test_an_empty_amount_cell_is_no_amount():
    assert parse_amount("  ", decimal_comma=False) is None


def lines(text: str, mapping: dict) -> list[tuple[str, str]]:
    statements = read_file(text.encode(), source_format="csv", mapping=mapping)
    return [(line.booked_on.isoformat(), str(line.amount)) for s in statements for line in s.lines]


def test_a_debit_column_holding_a_minus_sign_is_still_money_out():
    text = "Date,Out,In\n2025-09-01,-45.67,\n2025-09-02,45.67,\n2025-09-03,,12.00\n"

    assert lines(text, {"date": "Date", "debit": "Out", "credit": "In"}) == [
        ("2025-09-01", "-45.67"),
        ("2025-09-02", "-45.67"),
        ("2025-09-03", "12.00"),
    ]


@pytest.mark.parametrize(
    ("debit", "credit", "mapping"),
    [
        ("D", "C", {}),
        ("DR", "CR", {}),
        ("dr", "cr", {}),
        ("Debit", "Credit", {}),
        ("Débit", "Crédit", {}),
        ("DÉBIT", "CRÉDIT", {}),
        ("-", "+", {}),
        ("Retrait", "Dépôt", {"debit_values": ["Retrait"], "credit_values": ["Dépôt"]}),
    ],
)
def test_a_sign_column_says_which_way_the_money_went(debit, credit, mapping):
    text = f"Date,Type d'opération,Montant\n2025-09-01,{debit},45.67\n2025-09-02,{credit},10\n"
    base = {"date": "Date", "amount": "Montant", "sign": "Type d'opération"}

    assert lines(text, {**base, **mapping}) == [("2025-09-01", "-45.67"), ("2025-09-02", "10.00")]


def test_a_card_export_with_inverted_signs_is_flipped():
    text = "Date,Amount\n2025-09-01,45.67\n2025-09-02,-100.00\n"

    assert lines(text, {"date": "Date", "amount": "Amount", "invert_sign": True}) == [
        ("2025-09-01", "-45.67"),
        ("2025-09-02", "100.00"),
    ]


def test_headers_are_found_whatever_their_case_and_surrounding_spaces():
    text = "Export,,\n\n  DATE , amount ,  Description\n2025-09-01,5.00,x\n"

    assert lines(text, {"date": "Date", "amount": "Amount", "description": "Description"}) == [
        ("2025-09-01", "5.00")
    ]


def test_a_header_repeated_above_each_accounts_rows_is_skipped_when_a_column_names_them():
    text = "Account,Date,Amount\n1111,2025-09-01,5.00\nAccount,Date,Amount\n2222,2025-09-01,7.00\n"
    mapping = {"date": "Date", "amount": "Amount", "account": "Account"}

    statements = read_file(text.encode(), source_format="csv", mapping=mapping)

    assert [(s.account, len(s.lines)) for s in statements] == [("1111", 1), ("2222", 1)]


def test_a_file_without_header_is_read_by_column_numbers_given_as_text_or_numbers():
    text = "2025-09-01,x,5.00\n2025-09-02,y,-1.00\n"

    assert lines(text, {"header": False, "date": "0", "amount": 2}) == [
        ("2025-09-01", "5.00"),
        ("2025-09-02", "-1.00"),
    ]


def balances(text: str) -> tuple[Decimal | None, Decimal | None]:
    mapping = {"date": "Date", "amount": "Amount", "balance": "Balance"}
    (statement,) = read_file(text.encode(), source_format="csv", mapping=mapping)
    return statement.opening, statement.closing


def test_a_balance_column_gives_the_opening_and_closing_balances_in_date_order():
    oldest_first = "Date,Amount,Balance\n2025-09-01,-100,900\n2025-09-02,50,950\n"
    newest_first = "Date,Amount,Balance\n2025-09-02,50,950\n2025-09-01,-100,900\n"

    assert balances(oldest_first) == (Decimal("1000.00"), Decimal("950.00"))
    assert balances(newest_first) == (Decimal("1000.00"), Decimal("950.00"))


def test_rows_of_one_day_in_the_banks_own_order_still_balance():
    # Newest first on the whole, but the first day's rows listed oldest first.
    text = "Date,Amount,Balance\n2025-09-03,-5,1045\n2025-09-01,100,1100\n2025-09-01,-50,1050\n"

    assert balances(text) == (Decimal("1000.00"), Decimal("1045.00"))


def test_one_days_rows_chained_newest_first_are_read_that_way():
    text = "Date,Amount,Balance\n2025-09-01,-50,1050\n2025-09-01,100,1100\n"

    assert balances(text) == (Decimal("1000.00"), Decimal("1050.00"))


def test_pending_rows_count_in_no_balance():
    text = (
        "Date,Amount,Balance,Status\n"
        "2025-09-01,-100,900,posted\n"
        "2025-09-02,-999,,Pending\n"
        "2025-09-02,50,950,posted\n"
    )
    mapping = {"date": "Date", "amount": "Amount", "balance": "Balance", "status": "Status"}

    (statement,) = read_file(text.encode(), source_format="csv", mapping=mapping)

    assert (statement.opening, statement.closing) == (Decimal("1000.00"), Decimal("950.00"))
    assert statement.notes == ["1 pending entry skipped"]


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_each_preset_has_a_label_and_a_usable_mapping(code):
    preset = PRESETS[code]

    assert str(preset.label)
    assert layout(preset.mapping).date is not None


def test_the_presets_are_the_banks_the_program_uses():
    assert set(PRESETS) == {
        "desjardins",
        "rbc",
        "td",
        "bmo",
        "scotiabank",
        "national",
        "cibc",
        "tangerine",
    }


def line(bank_id: str, amount: str = "1.00") -> ParsedLine:
    return ParsedLine(dt.date(2025, 9, 1), Decimal(amount), "X", "", "", bank_id, "")


def test_a_bank_id_repeated_in_one_statement_keeps_every_line():
    keys = dedup_keys([line("F1"), line("F1", "2.00"), line("F2"), line("F1", "3.00")])

    assert keys == ["id:F1", "id:F1:1", "id:F2", "id:F1:2"]


def test_lines_without_a_bank_id_are_told_apart_by_their_occurrence():
    first, second = dedup_keys([line(""), line("")])

    assert first != second and first.startswith("fp:") and first.endswith(":0")
