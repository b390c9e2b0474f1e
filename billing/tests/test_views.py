"""The finance screens: who may use them, and the reconcile flow without JavaScript."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory, UserFactory
from billing import reconciliation, services
from billing.models import BankAccount, BankStatement, Match, ScheduledPayment, StatementLine
from billing.tests.factories_payments import validated_living_payments

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


@pytest.fixture
def payments():
    return validated_living_payments()


@pytest.fixture
def account():
    return BankAccount.objects.create(
        name="Ops",
        institution="Desjardins",
        account_number="4567",
        csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
    )


def upload(client, account, rows: list[str]):
    data = ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()
    return client.post(
        "/finance/statements/upload/",
        {
            "account": account.pk,
            "format": "csv",
            "file": SimpleUploadedFile("sept.csv", data),
        },
    )


def test_the_finance_screens_are_closed_to_others(client):
    assert client.get("/finance/").status_code == 302  # to log in
    client.force_login(UserFactory())
    assert client.get("/finance/").status_code == 403
    client.force_login(StaffUserFactory(group="Staff"))
    assert client.get("/finance/").status_code == 403


def test_importing_reconciles_lines_that_carry_their_reference(finance, account, payments):
    response = upload(
        finance,
        account,
        [f"2025-09-01,VIREMENT {payments[0].reference},-1100.00", "2025-09-02,FRAIS,-2.50"],
    )

    assert response.status_code == 302
    payments[0].refresh_from_db()
    assert payments[0].status == "reconciled"
    page = finance.get(response["Location"])
    assert page.status_code == 200 and b"Undo" in page.content


def test_a_malformed_statement_is_refused_with_its_line(finance, account):
    response = upload(finance, account, ["2025-13-40,X,-1.00"])

    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("line 2" in m for m in messages)


def test_a_suggestion_is_accepted_by_a_person_then_undone(finance, account, payments):
    upload(finance, account, ["2025-09-02,VIREMENT ANNIE,-1100.00"])
    statement = account.statements.get()
    line = statement.lines.get()

    finance.post(f"/finance/statements/{statement.pk}/accept/", {"line": line.pk})
    match = Match.objects.get()
    finance.post(f"/finance/matches/{match.pk}/undo/")

    match.refresh_from_db()
    assert match.undone_at is not None
    assert not ScheduledPayment.objects.filter(status="reconciled").exists()


def test_a_line_is_split_by_hand_over_two_payments(finance, account, payments):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-2200.00"])
    line = account.statements.get().lines.get()

    finance.post(
        f"/finance/lines/{line.pk}/match/",
        {
            "payment": [payments[0].pk, payments[1].pk],
            "amount": ["1100.00", "1100.00"],
        },
    )

    assert ScheduledPayment.objects.filter(status="reconciled").count() == 2


def test_the_reconcile_page_query_count_does_not_grow_with_lines(finance, account, payments):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    statement = account.statements.get()
    with CaptureQueriesContext(connection) as few:
        finance.get(f"/finance/statements/{statement.pk}/")
    services.statement_import(
        account=account,
        data=(
            "Date,Description,Amount\n"
            + "\n".join(f"2025-09-{d:02d},FRAIS {d},-{d}.00" for d in range(3, 28))
            + "\n"
        ).encode(),
        filename="more.csv",
        source_format="csv",
    )
    account.statements.exclude(pk=statement.pk).get().lines.update(statement=statement)

    with CaptureQueriesContext(connection) as many:
        finance.get(f"/finance/statements/{statement.pk}/")

    assert len(few) == len(many)


def report_rows(page) -> list[tuple]:
    """The report table's rows as the page shows them: (session, paid to, then the four
    amounts as Decimals)."""
    html = page.content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        session, payee, *amounts = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        rows.append((session, payee, *(Decimal(re.sub(r"[^0-9.-]", "", a)) for a in amounts)))
    return rows


def test_reports_show_each_payees_totals_and_export_csv(finance, account, payments):
    upload(finance, account, [f"2025-09-01,{payments[0].reference},-1100.00"])
    # What the validated sheet schedules for each payee, from its own lines.
    sheet = payments[0].sheet
    to_school = sum(line.amount for line in sheet.lines.filter(payee="school"))
    to_student = sum(line.amount for line in sheet.lines.filter(payee="student"))

    page = finance.get("/finance/reports/")
    export = finance.get("/finance/reports/?format=csv")

    # Scheduled, paid, reconciled (the one line paying 1,100.00), outstanding.
    assert report_rows(page) == [
        ("Fall 2025", sheet.enrollment.school.name, to_school, 0, 0, to_school),
        ("Fall 2025", "Students", to_student, 1100, 1100, to_student - 1100),
    ]
    assert to_school > 0 and to_student > 1100
    assert export["Content-Type"].startswith("text/csv")
    assert export.content.decode("utf-8-sig").startswith(
        "Session,Paid to,Scheduled,Paid,Reconciled,Outstanding\r\nFall 2025,"
    )


def test_reports_export_as_xlsx_with_exact_amounts(finance, account, payments):
    import io

    from openpyxl import load_workbook

    upload(finance, account, [f"2025-09-01,{payments[0].reference},-1100.00"])

    export = finance.get("/finance/reports/?format=xlsx")

    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.values)
    assert rows[0] == ("Session", "Paid to", "Scheduled", "Paid", "Reconciled", "Outstanding")
    assert any(row[4] == 1100 for row in rows[1:])


def test_a_rejected_suggestion_is_not_offered_again(finance, account, payments):
    from billing import reconciliation

    upload(finance, account, ["2025-09-02,VIREMENT ANNIE,-1100.00"])
    statement = account.statements.get()
    line = statement.lines.get()
    assert reconciliation.statement_proposals(statement=statement)

    finance.post(f"/finance/statements/{statement.pk}/reject/", {"line": line.pk})

    assert reconciliation.statement_proposals(statement=statement) == []
    assert not Match.objects.exists()


def test_a_line_is_matched_by_hand_to_a_school_invoice(finance, account):
    from billing.models import SchoolInvoice
    from scholarships.tests.factories import ScholarYearFactory, SchoolFactory

    invoice = SchoolInvoice.objects.create(
        school=SchoolFactory(),
        invoice_number="D-44",
        scholar_year=ScholarYearFactory(),
        issued_on=dt.date(2025, 9, 10),
        total=Decimal("5000.00"),
        status="paid",
    )
    upload(finance, account, ["2025-09-20,PAIEMENT COLLEGE,-5000.00"])
    line = account.statements.get().lines.get()

    finance.post(f"/finance/lines/{line.pk}/invoice/", {"invoice": "d-44"})

    invoice.refresh_from_db()
    assert invoice.status == "reconciled"


def test_accept_all_above_a_threshold_leaves_the_weaker_suggestions(finance, account, payments):
    upload(
        finance, account, ["2025-09-02,VIREMENT TUKALAK,-1100.00", "2025-10-02,VIREMENT,-1100.00"]
    )
    statement = account.statements.get()

    finance.post(f"/finance/statements/{statement.pk}/accept/", {"threshold": "0.8"})

    match = Match.objects.get()
    assert (match.rule, match.payment) == ("amount, date and payee name", payments[0])


def test_an_account_that_is_not_a_number_is_a_404_not_a_500(finance):
    response = finance.post("/finance/statements/upload/", {"account": "abc", "format": "csv"})

    assert response.status_code == 404


def test_a_split_with_a_negative_part_is_refused_and_changes_nothing(finance, account, payments):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-1100.00"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/match/",
        {
            "payment": [payments[0].pk, payments[1].pk],
            "amount": ["2000.00", "-900.00"],
        },
        follow=True,
    )

    assert b"positive amount" in response.content
    assert not Match.objects.exists()


# --- bad input: a clear message or a 400, never a 500, and nothing kept of a refusal ---------
def told(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def stored() -> tuple[int, int, int]:
    return BankStatement.objects.count(), StatementLine.objects.count(), Match.objects.count()


def test_reports_refuse_a_number_of_days_beyond_a_century_with_a_400(finance):
    response = finance.get("/finance/reports/?days=1000000")

    assert response.status_code == 400
    assert any(
        m.startswith("Days: Ensure this value is less than or equal to") for m in told(response)
    )


def test_reports_refuse_an_unknown_export_format_with_a_400(finance):
    response = finance.get("/finance/reports/?format=pdf")

    assert response.status_code == 400
    assert any(m.startswith("Format: Select a valid choice") for m in told(response))


@pytest.mark.parametrize("query", ["NaN", "Infinity", "-Infinity", "sNaN", "1e999999", "0E+9999"])
def test_a_search_for_what_no_money_column_holds_looks_for_a_name_instead(finance, account, query):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    statement = account.statements.get()

    response = finance.get(f"/finance/statements/{statement.pk}/", {"q": query})

    assert response.status_code == 200
    assert f"No open payment matches “{query}”".encode() in response.content


def test_a_search_with_a_nul_byte_is_refused_with_a_400(finance, account):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    statement = account.statements.get()

    response = finance.get(f"/finance/statements/{statement.pk}/?q=%00")

    assert response.status_code == 400
    assert "Find payments: Null characters are not allowed." in told(response)


def test_a_search_for_an_amount_finds_the_payment(finance, account, payments):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    statement = account.statements.get()

    response = finance.get(f"/finance/statements/{statement.pk}/", {"q": "1100.00"})

    assert payments[0].reference.encode() in response.content


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2025-09-01,X,NaN", "line 2: 'NaN' is not an amount"),
        ("2025-09-01,X,1e15", "line 2: '1e15' is more than a statement line holds"),
        ("2025-09-01,X\x00Y,-1.00", "line 2: the description contains a NUL byte"),
        ("2025-09-01,X," + "1" * 131_073, "line 2: not a readable CSV line"),
        ("0001-01-01,X,-1.00", "line 2: the date 0001-01-01 is not between"),
    ],
)
def test_an_upload_refused_keeps_nothing_and_names_the_line(finance, account, row, message):
    response = upload(finance, account, ["2025-08-29,FIRST,-3.00", row])

    assert response.status_code == 302
    assert any(message.replace("line 2", "line 3") in m for m in told(response))
    assert stored() == (0, 0, 0)


def test_an_upload_with_a_byte_that_is_no_text_is_refused_naming_the_line(finance, account):
    data = b"Date,Description,Amount\n2025-09-01,X\x81,-1.00\n"

    response = finance.post(
        "/finance/statements/upload/",
        {"account": account.pk, "format": "csv", "file": SimpleUploadedFile("s.csv", data)},
    )

    assert any("line 2: byte 0x81 is not UTF-8 or Windows-1252 text" in m for m in told(response))
    assert stored() == (0, 0, 0)


def test_an_upload_with_a_bank_id_longer_than_its_column_is_refused(finance, account):
    account.csv_mapping = {**account.csv_mapping, "bank_id": "Description"}
    account.save()

    response = upload(finance, account, ["2025-09-01," + "9" * 300 + ",-1.00"])

    assert any(
        "line 2: the bank transaction id is 300 characters long" in m for m in told(response)
    )
    assert stored() == (0, 0, 0)


OFX_NAN = (
    (Path(__file__).parent / "samples" / "statement.ofx")
    .read_bytes()
    .replace(b"<TRNAMT>-1100.00", b"<TRNAMT>NaN")
)
CAMT_TOO_BIG = (
    b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
    b"<BkToCstmrStmt><Stmt><Ntry><Amt>1e15</Amt><CdtDbtInd>DBIT</CdtDbtInd>"
    b"<BookgDt><Dt>2025-10-01</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
)


@pytest.mark.parametrize(
    ("source_format", "data", "message"),
    [
        ("ofx", OFX_NAN, "transaction 1: 'NaN' is not an amount"),
        ("camt053", CAMT_TOO_BIG, "entry 1: '1e15' is more than a statement line holds"),
    ],
)
def test_an_ofx_or_camt053_upload_that_does_not_fit_is_refused(
    finance, account, source_format, data, message
):
    response = finance.post(
        "/finance/statements/upload/",
        {"account": account.pk, "format": source_format, "file": SimpleUploadedFile("s", data)},
    )

    assert response.status_code == 302
    assert any(message in m for m in told(response))
    assert stored() == (0, 0, 0)


def test_a_failed_automatic_reconciliation_keeps_nothing_of_the_import(
    finance, account, payments, monkeypatch
):
    def refuse(**kwargs):
        raise reconciliation.ReconciliationConflict("Payment already reconciled.")

    monkeypatch.setattr(reconciliation, "statement_auto_reconcile", refuse)

    response = upload(finance, account, [f"2025-09-01,{payments[0].reference},-1100.00"])

    assert any("was not imported: Payment already reconciled." in m for m in told(response))
    assert stored() == (0, 0, 0)


def test_a_statement_kept_with_a_line_dated_year_one_still_opens(finance, account):
    statement = BankStatement.objects.create(
        account=account,
        source_format="csv",
        filename="old.csv",
        sha256="0" * 64,
        first_date=dt.date(1, 1, 1),
        last_date=dt.date(1, 1, 1),
    )
    StatementLine.objects.create(
        account=account,
        statement=statement,
        booked_on=dt.date(1, 1, 1),
        amount=Decimal("-1.00"),
        dedup_key="fp:year-one",
        raw="0001-01-01,X,-1.00",
    )

    response = finance.get(f"/finance/statements/{statement.pk}/")

    assert response.status_code == 200


def test_an_upload_refusal_is_told_in_the_users_language(finance, account):
    from django.utils import timezone

    data = b"Date,Description,Amount\n0001-01-01,X,-1.00\n"

    response = finance.post(
        "/finance/statements/upload/",
        {"account": account.pk, "format": "csv", "file": SimpleUploadedFile("s.csv", data)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert told(response) == [
        "s.csv n'a pas été importé : ligne 2 : la date 0001-01-01 n'est pas comprise entre le "
        f"1970-01-01 et le {(timezone.localdate() + dt.timedelta(days=366)).isoformat()}."
    ]


@pytest.mark.parametrize("account_id", ["²", "9" * 5000, "-1"])
def test_an_account_that_is_no_id_is_a_404(finance, account_id):
    response = finance.post("/finance/statements/upload/", {"account": account_id})

    assert response.status_code == 404


@pytest.mark.parametrize("threshold", ["nan", "-inf", "inf", "-0.5", "2", "1e999"])
def test_a_threshold_outside_0_to_1_is_refused_and_accepts_nothing(
    finance, account, payments, threshold
):
    upload(finance, account, ["2025-09-02,VIREMENT TUKALAK,-1100.00"])
    statement = account.statements.get()

    response = finance.post(f"/finance/statements/{statement.pk}/accept/", {"threshold": threshold})

    assert any(m.startswith("Confidence: ") for m in told(response))
    assert not Match.objects.exists()


@pytest.mark.parametrize("line", ["²", "9" * 5000, "0", "abc"])
def test_a_line_that_is_no_id_is_refused_when_accepting(finance, account, payments, line):
    upload(finance, account, ["2025-09-02,VIREMENT ANNIE,-1100.00"])
    statement = account.statements.get()

    response = finance.post(f"/finance/statements/{statement.pk}/accept/", {"line": line})

    assert response.status_code == 302
    assert any(m.startswith("Line: ") for m in told(response))
    assert not Match.objects.exists()


@pytest.mark.parametrize(
    ("payment", "amount"), [("²", "1100.00"), ("1", "NaN"), ("1", "1e999999"), ("1", "sNaN")]
)
def test_a_split_part_that_is_no_id_or_amount_is_refused(
    finance, account, payments, payment, amount
):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-1100.00"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/match/", {"payment": [payment], "amount": [amount]}
    )

    assert "Give a payment and an amount for each part." in told(response)
    assert not Match.objects.exists()


def test_a_split_part_naming_no_payment_is_told_so(finance, account, payments):
    upload(finance, account, ["2025-10-02,VIREMENT DOUBLE,-1100.00"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/match/", {"payment": ["99999999999"], "amount": ["1.00"]}
    )

    assert "There is no payment #99999999999." in told(response)


def test_an_invoice_number_with_a_nul_byte_is_refused(finance, account):
    upload(finance, account, ["2025-09-20,PAIEMENT COLLEGE,-5000.00"])
    line = account.statements.get().lines.get()

    response = finance.post(f"/finance/lines/{line.pk}/invoice/", {"invoice": "D-\x0044"})

    assert response.status_code == 302
    assert "Invoice number: Null characters are not allowed." in told(response)


@pytest.mark.parametrize("amount", ["NaN", "1e999999", "12345678901.00"])
def test_an_invoice_amount_that_no_money_column_holds_is_refused(finance, account, amount):
    upload(finance, account, ["2025-09-20,PAIEMENT COLLEGE,-5000.00"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/invoice/", {"invoice": "D-44", "amount": amount}
    )

    assert any(m.startswith("Amount: ") for m in told(response))
    assert not Match.objects.exists()


def test_a_write_off_reason_with_a_nul_byte_is_refused(finance, account):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/write-off/", {"amount": "2.50", "reason": "bank\x00fee"}
    )

    assert "Reason: Null characters are not allowed." in told(response)
    assert not Match.objects.exists()


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e999999", ""])
def test_a_write_off_amount_that_is_no_number_is_refused(finance, account, amount):
    upload(finance, account, ["2025-09-02,FRAIS,-2.50"])
    line = account.statements.get().lines.get()

    response = finance.post(
        f"/finance/lines/{line.pk}/write-off/", {"amount": amount, "reason": "bank fee"}
    )

    assert any(m.startswith("Amount: ") for m in told(response))
    assert not Match.objects.exists()


# --- in English and in French --------------------------------------------------------------
def test_the_finance_home_reads_in_french(finance, account, payments):
    page = finance.get("/finance/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<h1>Relevés bancaires</h1>" in page
    assert "Rapproché et restant, par mois d'échéance" in page


def test_the_reports_page_reads_in_french(finance, payments):
    page = finance.get("/finance/reports/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<h1>Rapports de rapprochement</h1>" in page


def test_an_import_failing_for_a_reason_of_ours_shows_no_exception_text(
    finance, account, monkeypatch
):
    from billing import statement_files

    def crash(**kwargs):
        raise RuntimeError("psycopg.errors.InternalError_: relation billing_x is locked")

    monkeypatch.setattr(statement_files, "statements_store", crash)

    response = upload(finance, account, ["2025-09-01,X,-1.00"])
    home = finance.get("/finance/").content.decode()

    assert told(response) == [
        "sept.csv was not imported: The import failed for a reason of ours, not the file's; "
        "ops were told."
    ]
    assert "psycopg" not in home and "RuntimeError" not in home


def test_an_import_failing_for_a_reason_of_ours_is_told_in_french(finance, account, monkeypatch):
    from billing import statement_files

    monkeypatch.setattr(statement_files, "statements_store", lambda **kw: 1 / 0)

    response = finance.post(
        "/finance/statements/upload/",
        {
            "account": account.pk,
            "format": "csv",
            "file": SimpleUploadedFile("s.csv", b"Date,Description,Amount\n2025-09-01,X,-1.00\n"),
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert told(response) == [
        "s.csv n'a pas été importé : L'importation a échoué pour une raison qui tient à nous, "
        "pas au fichier\N{NO-BREAK SPACE}; l'exploitation est avertie."
    ]
