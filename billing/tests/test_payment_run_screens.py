import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import PaymentRun
from billing.payments import runs
from billing.tests.factories_payments import (
    bank_details,
    finance_user,
    validated_living_payments,
)

pytestmark = pytest.mark.django_db
FAR = dt.date(2030, 1, 1)


@pytest.fixture
def payments():
    found = validated_living_payments()
    bank_details(student=found[0].enrollment.student)
    bank_details(school=found[0].enrollment.school)
    return found


def _client(client, user):
    client.force_login(user)
    return client


def test_finance_builds_a_run_from_the_page(client, payments):
    response = _client(client, finance_user()).post(
        reverse("finance:run-build"), {"due_until": "2030-01-01"}
    )

    run = PaymentRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:run", args=[run.pk])


def test_a_bad_date_is_told_not_a_500(client, payments):
    response = _client(client, finance_user()).post(
        reverse("finance:run-build"), {"due_until": "2030-13-45"}, follow=True
    )

    assert response.status_code == 200
    assert not PaymentRun.objects.exists()
    assert "Due up to" in response.content.decode()


def test_the_preparer_is_told_they_cannot_approve(client, payments):
    preparer = finance_user()
    run = runs.payment_run_build(due_until=FAR, by=preparer)

    response = _client(client, preparer).post(
        reverse("finance:run-approve", args=[run.pk]), follow=True
    )

    assert "another Finance user must approve it" in response.content.decode()
    assert PaymentRun.objects.get().status == "prepared"


def test_the_run_page_shows_totals_and_the_payments_left_out(client, payments):
    bank_details(student=payments[0].enrollment.student, confirmed=False, account="7777777")
    run = runs.payment_run_build(due_until=FAR, by=finance_user())

    page = _client(client, finance_user()).get(reverse("finance:run", args=[run.pk]))

    body = page.content.decode()
    assert payments[0].reference in body
    assert "not confirmed" in body


def test_the_run_list_takes_a_fixed_number_of_queries(client, payments, django_assert_num_queries):
    user = finance_user()
    _client(client, user)
    runs.payment_run_build(due_until=FAR, by=finance_user())
    client.get(reverse("finance:runs"))  # warm the session
    with django_assert_num_queries(6):
        client.get(reverse("finance:runs"))
    for _ in range(3):
        run = runs.payment_run_build(due_until=FAR, by=finance_user())
        runs.payment_run_cancel(run=run, by=user)
    with django_assert_num_queries(6):
        client.get(reverse("finance:runs"))


def test_the_file_is_downloaded_through_a_short_link(
    client, payments, django_capture_on_commit_callbacks
):
    run = runs.payment_run_build(due_until=FAR, by=finance_user())
    run = runs.payment_run_approve(run=run, by=finance_user())
    run = runs.payment_run_send(run=run, by=None)

    response = _client(client, finance_user()).get(
        reverse("finance:run-file", args=[run.pk, "pain001"])
    )

    assert response.status_code == 302


def test_the_command_builds_approves_and_files_a_run(payments, django_capture_on_commit_callbacks):
    preparer, approver = finance_user("ops-a"), finance_user("ops-b")
    out = StringIO()

    call_command("payment_run", "build", "--due-until", "2030-01-01", "--by", "ops-a", stdout=out)
    run = PaymentRun.objects.get()
    call_command("payment_run", "approve", str(run.pk), "--by", "ops-b", stdout=out)
    call_command("payment_run", "file", str(run.pk), "--by", "ops-a", stdout=out)

    assert PaymentRun.objects.get().status == "sent"
    assert preparer.pk != approver.pk


def test_the_command_refuses_the_preparer_as_approver(payments):
    finance_user("ops-a")
    call_command(
        "payment_run", "build", "--due-until", "2030-01-01", "--by", "ops-a", stdout=StringIO()
    )

    with pytest.raises(CommandError, match="another Finance user"):
        call_command("payment_run", "approve", str(PaymentRun.objects.get().pk), "--by", "ops-a")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--due-until", "tomorrow", "--by", "ops-a"], "not a date"),
        (["approve", "999", "--by", "ops-a"], "no payment run 999"),
        (["cancel", "1", "--by", "nobody"], "no such user"),
        (
            ["build", "--due-until", "2030-01-01", "--session", "2099X", "--by", "ops-a"],
            "no such session",
        ),
    ],
)
def test_the_command_names_a_wrong_argument(args, message):
    finance_user("ops-a")

    with pytest.raises(CommandError, match=message):
        call_command("payment_run", *args)
