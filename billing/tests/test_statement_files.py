"""A statement file Finance sends: routed to the accounts it names, checked against the
previous statement's balance, imported now or by a task, refused whole with its reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avataq.tests.factories import StaffUserFactory
from billing import statement_files
from billing.models import BankAccount, BankStatement, StatementImport, StatementLine
from billing.statements import ParsedLine, ParsedStatement, StatementError
from documents.storage import document_storage

pytestmark = pytest.mark.django_db

CSV = {"date": "Date", "description": "Description", "amount": "Amount"}


def account(name: str, digits: str, currency: str = "CAD") -> BankAccount:
    return BankAccount.objects.create(
        name=name,
        institution="Desjardins",
        account_number=digits,
        currency=currency,
        csv_mapping=CSV,
    )


def line(day: int, amount: str, text: str = "FRAIS") -> ParsedLine:
    return ParsedLine(dt.date(2025, 9, day), Decimal(amount), text, "", "", "", text)


def store(parsed: list[ParsedStatement], chosen: BankAccount | None = None):
    return statement_files.statements_store(
        parsed=parsed,
        data=repr(parsed).encode(),
        filename="file.ofx",
        source_format="ofx",
        account=chosen,
        by=None,
    )


@pytest.fixture
def chequing():
    return account("Chequing", "4821")


@pytest.fixture
def savings():
    return account("Savings", "9050")


@pytest.fixture
def us():
    return account("US chequing", "4821", "USD")


def test_each_statement_of_a_file_goes_to_the_account_it_names(chequing, savings, us):
    result = store(
        [
            ParsedStatement([line(1, "-10.00")], account="815300004821", currency="CAD"),
            ParsedStatement([line(2, "-20.00")], account="815300009050", currency="CAD"),
            ParsedStatement([line(3, "-30.00")], account="815300004821", currency="USD"),
        ]
    )

    assert [s.account for s in result.statements] == [chequing, savings, us]
    assert [s.lines.get().amount for s in result.statements] == [
        Decimal("-10.00"),
        Decimal("-20.00"),
        Decimal("-30.00"),
    ]
    assert [s.currency for s in result.statements] == ["CAD", "CAD", "USD"]


def test_a_file_naming_an_account_the_program_does_not_have_is_refused_whole(chequing):
    parsed = [
        ParsedStatement([line(1, "-10.00")], account="815300004821", currency="CAD"),
        ParsedStatement([line(2, "-20.00")], account="815300007777", currency="CAD"),
    ]

    with pytest.raises(StatementError, match="…7777 CAD, which is not one of"):
        store(parsed)

    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_a_file_for_another_account_than_the_one_chosen_is_refused_naming_it(chequing, savings):
    parsed = [ParsedStatement([line(1, "-10.00")], account="815300009050", currency="CAD")]

    with pytest.raises(StatementError, match="account …9050 CAD, not of Chequing"):
        store(parsed, chosen=chequing)


def test_a_csv_naming_no_account_needs_the_account_chosen(chequing):
    with pytest.raises(StatementError, match="choose the account"):
        store([ParsedStatement([line(1, "-10.00")])])

    result = store([ParsedStatement([line(1, "-10.00")])], chosen=chequing)
    assert result.statements[0].account == chequing


def test_a_statement_in_another_currency_than_its_account_is_refused(chequing):
    with pytest.raises(StatementError, match="in USD but"):
        store([ParsedStatement([line(1, "-10.00")], currency="USD")], chosen=chequing)


def test_a_closing_balance_is_checked_against_the_previous_statement(chequing):
    store(
        [
            ParsedStatement(
                [line(1, "-10.00")], account="4821", opening=Decimal(100), closing=Decimal(90)
            )
        ]
    )

    good = store([ParsedStatement([line(2, "-5.00")], account="4821", closing=Decimal(85))])
    off = store([ParsedStatement([line(3, "-5.00")], account="4821", closing=Decimal(70))])

    assert good.statements[0].balance_gap == 0 and good.notes == []
    assert off.statements[0].expected_closing == Decimal(80)
    assert off.statements[0].balance_gap == Decimal(-10)
    assert "should close at $80.00, but it says $70.00" in off.notes[0]


def test_the_balance_warning_is_told_in_the_readers_language(chequing):
    from django.utils import translation

    store([ParsedStatement([line(1, "-10.00")], account="4821", closing=Decimal(90))])
    off = store([ParsedStatement([line(3, "-5.00")], account="4821", closing=Decimal(70))])

    with translation.override("fr"):
        warning = statement_files.balance_warning(off.statements[0])

    assert "devrait se clore à 85,00" in warning.replace("\u00a0", " ")


def test_balances_are_stored_on_the_statement(chequing):
    result = store(
        [
            ParsedStatement(
                [line(1, "-10.00")],
                account="4821",
                opening=Decimal("100.00"),
                closing=Decimal("90.00"),
            )
        ]
    )

    statement = result.statements[0]
    assert (statement.opening_balance, statement.closing_balance) == (Decimal(100), Decimal(90))
    assert statement.account_identifier == "4821"


# --- a file sent through the page ------------------------------------------------------------
@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


def send(client, name: str, data: bytes, account: BankAccount | None, fmt: str = "csv"):
    return client.post(
        "/finance/statements/upload/",
        {
            "account": account.pk if account else "",
            "format": fmt,
            "file": SimpleUploadedFile(name, data),
        },
    )


def csv_rows(count: int) -> bytes:
    rows = [f"2025-09-{1 + n % 28:02d},PAIEMENT {n},-{n + 1}.00" for n in range(count)]
    return ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()


def test_a_small_file_is_imported_at_once_and_kept_under_finance(finance, chequing):
    response = send(finance, "sept.csv", csv_rows(3), chequing)

    job = StatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/finance/statements/{job.statements.get().pk}/"
    assert (job.status, job.lines_read, job.lines_new) == ("done", 3, 3)
    assert job.file_key.startswith(f"finance/statements/{job.created_at:%Y}/{job.pk}-")
    assert document_storage().stat(job.file_key).size == len(csv_rows(3))


def test_a_large_file_is_imported_by_a_task_and_its_page_follows_it(
    finance, chequing, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    data = csv_rows(40_000)
    assert len(data) > statement_files.IMPORT_NOW_MAX_BYTES

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = send(finance, "year.csv", data, chequing)
    job = StatementImport.objects.get()
    waiting = finance.get(response["Location"])
    for callback in queued:
        callback()  # the task, as the worker would run it
    done = finance.get(response["Location"])

    assert response["Location"] == f"/finance/files/{job.pk}/"
    assert waiting["Refresh"] == "3" and "Waiting" in waiting.content.decode()
    job.refresh_from_db()
    assert (job.status, job.lines_new) == ("done", 40_000)
    assert "Refresh" not in done and "40000 new line(s) of 40000" in done.content.decode()


def test_a_refused_file_keeps_no_line_and_no_file_only_the_reason(finance, chequing):
    response = send(finance, "bad.csv", b"Date,Description,Amount\n2025-13-45,X,-1.00\n", chequing)

    job = StatementImport.objects.get()
    assert response["Location"] == "/finance/"
    assert job.status == "failed" and "line 2" in job.error
    assert not StatementLine.objects.exists() and not BankStatement.objects.exists()
    assert job.file_key == ""
    assert list(document_storage().iter_objects("finance/")) == []


def test_the_refusal_is_told_once(finance, chequing):
    response = send(finance, "bad.csv", b"Date,Description,Amount\n2025-13-45,X,-1.00\n", chequing)

    page = finance.get(response["Location"]).content.decode()

    assert page.count("bad.csv was not imported") == 1


def test_the_same_file_twice_adds_nothing_and_says_so(finance, chequing):
    send(finance, "sept.csv", csv_rows(3), chequing)
    response = send(finance, "sept.csv", csv_rows(3), chequing)

    messages = [str(m) for m in response.wsgi_request._messages]
    assert StatementLine.objects.count() == 3
    assert any("0 new line(s) of 3" in m for m in messages)
    assert any("imported before" in m for m in messages)


def test_a_file_whose_task_was_never_delivered_is_imported_by_the_sweep(
    finance, chequing, django_capture_on_commit_callbacks
):
    import avataq.queue

    avataq.queue._down_until = float("inf")  # the broker takes nothing
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send(finance, "year.csv", csv_rows(40_000), chequing)
    finally:
        avataq.queue.broker_back()
    job = StatementImport.objects.get()
    assert job.status == "queued"

    imported = statement_files.statement_files_sweep(now=job.created_at + dt.timedelta(minutes=2))

    job.refresh_from_db()
    assert imported == 1 and (job.status, job.lines_new) == ("done", 40_000)


def test_an_import_interrupted_long_ago_is_closed_by_the_sweep(chequing):
    job = StatementImport.objects.create(
        filename="x.csv",
        source_format="csv",
        sha256="0",
        size=1,
        account=chequing,
        status=StatementImport.Status.RUNNING,
    )

    statement_files.statement_files_sweep(now=job.created_at + dt.timedelta(hours=3))

    job.refresh_from_db()
    assert job.status == "failed" and "interrupted" in job.error
