"""The student's direct-deposit page and the "sent on" of their payments."""

import datetime as dt

import pytest
from django.urls import reverse

from billing.models import BankDetails
from billing.tests.factories_payments import bank_details, finance_user
from portal.tests.test_views_my import signed_in_payee

pytestmark = pytest.mark.django_db
NUMBER = "987654321"


def _entry(**overrides) -> dict:
    return {
        "holder_name": "Annie Qumaq",
        "institution": "815",
        "transit": "30800",
        "account": NUMBER,
        "account_again": NUMBER,
    } | overrides


def test_a_student_enters_details_that_wait_for_staff(student_client, student):
    response = student_client.post(reverse("portal:direct_deposit"), _entry())

    details = BankDetails.objects.get(student=student)
    assert response["Location"] == reverse("portal:direct_deposit")
    assert (details.status, details.changed_by, details.account_last3) == (
        "pending",
        student.user,
        "321",
    )


def test_the_page_shows_the_details_masked_and_waiting(student_client, student):
    student_client.post(reverse("portal:direct_deposit"), _entry())

    html = student_client.get(reverse("portal:direct_deposit")).content.decode()

    assert "•••321" in html
    assert NUMBER not in html
    assert "Waiting for staff" in html


def test_replacing_confirmed_details_makes_them_wait_again(student_client, student):
    bank_details(student=student, account="1112223")

    student_client.post(reverse("portal:direct_deposit"), _entry())

    details = BankDetails.objects.get(student=student)
    assert (details.status, details.account_last3) == ("pending", "321")


def test_two_different_account_numbers_are_refused(student_client, student):
    response = student_client.post(
        reverse("portal:direct_deposit"), _entry(account_again="987654320")
    )

    assert response.status_code == 200
    assert "The two account numbers differ." in response.content.decode()
    assert not BankDetails.objects.exists()


def test_a_bad_transit_number_is_told_naming_it(student_client, student):
    response = student_client.post(reverse("portal:direct_deposit"), _entry(transit="12"))

    assert "Transit number: 5 digits are expected." in response.content.decode()
    assert not BankDetails.objects.exists()


def test_the_page_is_in_french_for_a_french_speaking_student(student_client, student):
    student_client.cookies["django_language"] = "fr"

    html = student_client.get(reverse("portal:direct_deposit")).content.decode()

    assert "Dépôt direct" in html


def test_staff_confirm_what_the_student_entered(student_client, student):
    student_client.post(reverse("portal:direct_deposit"), _entry())

    from billing.payments.bank_details import bank_details_confirm

    details = bank_details_confirm(details=BankDetails.objects.get(), by=finance_user())

    assert details.status == "confirmed"


def test_a_sent_payment_says_when_it_was_sent(client):
    payments = signed_in_payee(client)
    sent_at = dt.datetime(2025, 9, 1, 14, 0, tzinfo=dt.UTC)
    payments[0].status, payments[0].sent_at = "sent", sent_at
    payments[0].save()

    html = client.get(reverse("portal:payments")).content.decode()

    assert "sent on Sept. 1, 2025" in html
