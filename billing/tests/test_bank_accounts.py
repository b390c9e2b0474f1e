"""Finance sets up the program's bank accounts from the admin, and tries a sample file
with an account's layout before importing anything."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avataq.tests.factories import StaffUserFactory
from billing.models import BankAccount, BankStatement, ScheduledPayment, StatementLine

pytestmark = pytest.mark.django_db

ADD = "/admin/billing/bankaccount/add/"
SAMPLE = b"Date,Description,Amount\n2025-09-01,VIREMENT ANNIE,-1100.00\n2025-09-02,FRAIS,-2.50\n"


@pytest.fixture
def finance(client):
    client.force_login(StaffUserFactory(group="Finance"))
    return client


def add(client, **fields):
    data = {
        "name": "Operations",
        "institution": "Desjardins",
        "account_number": "4821",
        "currency": "CAD",
        "csv_preset": "",
        "csv_mapping": "{}",
        **fields,
    }
    return client.post(ADD, data)


def test_finance_add_a_bank_account(finance):
    response = add(finance)

    assert response.status_code == 302, response.content
    assert str(BankAccount.objects.get()) == "Operations (…4821 CAD)"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_number", "12", "3 to 12 digits"),
        ("account_number", "12-34", "3 to 12 digits"),
        ("currency", "cad", "currency code"),
        ("csv_mapping", "[1, 2]", "JSON object"),
    ],
)
def test_a_bank_account_that_would_route_nothing_is_refused_naming_the_field(
    finance, field, value, message
):
    response = add(finance, **{field: value})

    assert response.status_code == 200 and message in response.content.decode()
    assert not BankAccount.objects.exists()


def test_two_accounts_with_the_same_digits_and_currency_are_refused(finance):
    add(finance)

    response = add(finance, name="Savings")

    assert "Another account has these digits and currency" in response.content.decode()


@pytest.mark.parametrize("group", ["Staff", "Counsellors", "Ops"])
def test_other_roles_cannot_add_a_bank_account(client, group):
    client.force_login(StaffUserFactory(group=group))

    assert add(client).status_code == 403
    assert not BankAccount.objects.exists()


def test_a_sample_file_is_read_with_the_accounts_layout_and_nothing_is_stored(finance):
    account = BankAccount.objects.create(
        name="Ops",
        institution="Desjardins",
        account_number="4821",
        csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
    )

    page = finance.post(
        f"/admin/billing/bankaccount/{account.pk}/preview/",
        {"format": "csv", "sample": SimpleUploadedFile("sample.csv", SAMPLE)},
    ).content.decode()

    assert "VIREMENT ANNIE" in page and "-1100.00" in page and "2 lines" in page
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_a_sample_the_layout_cannot_read_says_why(finance):
    account = BankAccount.objects.create(
        name="Ops",
        institution="Desjardins",
        account_number="4821",
        csv_mapping={"date": "Posted", "amount": "Amount"},
    )

    page = finance.post(
        f"/admin/billing/bankaccount/{account.pk}/preview/",
        {"format": "csv", "sample": SimpleUploadedFile("sample.csv", SAMPLE)},
    ).content.decode()

    assert "missing column" in page and "Posted" in page


def test_the_demo_has_two_accounts_and_a_balanced_month_to_reconcile():
    from billing.demo import bank_demo_seed
    from billing.tests.factories_payments import validated_living_payments

    payments = validated_living_payments()
    today = max(p.due_date for p in payments) + dt.timedelta(days=6)

    lines = bank_demo_seed(today=today)

    from billing.models import StatementImport

    assert StatementImport.objects.get().status == "done", StatementImport.objects.get().error
    statement = BankStatement.objects.get()
    assert BankAccount.objects.count() == 2
    assert statement.account.name == "Operations" and lines == statement.lines.count() > 3
    assert (
        statement.opening_balance + sum(statement.lines.values_list("amount", flat=True))
        == statement.closing_balance
        or statement.closing_balance is None
    )
    assert ScheduledPayment.objects.filter(status="reconciled").exists()
    assert bank_demo_seed(today=today) == 0  # once
