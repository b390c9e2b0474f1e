"""Bank details in the admin: masked on the student's and the school's pages, entered
through the service, confirmed by a second person, the full number shown on request and
logged."""

import pytest
from django.urls import reverse

from avataq.tests.factories import StaffUserFactory
from billing.models import BankDetails, BankDetailsAccess
from billing.tests.factories_payments import bank_details, finance_user
from portal.models import OutgoingEmail
from scholarships.services import student_save
from scholarships.tests.factories import SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db
NUMBER = "987654321"


def _staff():
    return StaffUserFactory(group="Staff")


def _entry(**overrides) -> dict:
    return {
        "holder_name": "Annie Qumaq",
        "scheme": "canada",
        "institution": "815",
        "transit": "30800",
        "account": NUMBER,
        "iban": "",
        "bic": "",
    } | overrides


def test_the_students_page_shows_the_details_masked_never_the_number(client):
    details = bank_details(student=StudentFactory(), account=NUMBER)
    client.force_login(_staff())

    page = client.get(
        reverse("admin:scholarships_student_change", args=[details.student_id])
    ).content.decode()

    assert "•••321" in page
    assert NUMBER not in page


def test_the_schools_page_shows_its_details_masked(client):
    details = bank_details(school=SchoolFactory(), account="5550001")
    client.force_login(finance_user())

    page = client.get(reverse("admin:scholarships_school_change", args=[details.school_id]))

    assert "•••001" in page.content.decode()


def test_a_student_without_details_gets_a_link_to_enter_them(client):
    student = StudentFactory()
    client.force_login(_staff())

    page = client.get(reverse("admin:scholarships_student_change", args=[student.pk]))

    assert f"{reverse('admin:billing_bankdetails_add')}?student={student.pk}" in (
        page.content.decode()
    )


def test_a_counsellor_does_not_see_bank_details_on_their_students_page(client):
    counsellor = StaffUserFactory(group="Counsellors")
    student = StudentFactory()
    student.counsellor = counsellor
    student_save(student=student, by=None)  # assigning grants the counsellor the student
    details = bank_details(student=student, account=NUMBER)
    client.force_login(counsellor)

    page = client.get(reverse("admin:scholarships_student_change", args=[details.student_id]))

    assert page.status_code == 200
    assert "•••321" not in page.content.decode()


def test_staff_enter_details_that_wait_for_a_second_person(client, mailoutbox):
    student = StudentFactory()
    staff = _staff()
    client.force_login(staff)

    response = client.post(
        reverse("admin:billing_bankdetails_add"), _entry(student=student.pk, school="")
    )

    details = BankDetails.objects.get()
    assert response.status_code == 302
    assert (details.student, details.status, details.changed_by) == (student, "pending", staff)
    assert details.history.count() == 1


def test_entering_details_in_the_admin_tells_the_student(
    client, django_capture_on_commit_callbacks
):
    student = StudentFactory()
    client.force_login(_staff())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:billing_bankdetails_add"), _entry(student=student.pk))

    assert OutgoingEmail.objects.filter(student=student).exists()


def test_a_bad_account_number_is_told_on_the_form_and_nothing_is_stored(client):
    client.force_login(_staff())

    response = client.post(
        reverse("admin:billing_bankdetails_add"),
        _entry(student=StudentFactory().pk, account="12"),
    )

    assert response.status_code == 200
    assert "Account number: 7–12 digits are expected." in response.content.decode()
    assert not BankDetails.objects.exists()


def test_details_need_a_student_or_a_school(client):
    client.force_login(_staff())

    response = client.post(reverse("admin:billing_bankdetails_add"), _entry())

    assert "choose one" in response.content.decode()
    assert not BankDetails.objects.exists()


def test_replacing_details_on_their_page_makes_them_pending_again(client):
    details = bank_details(student=StudentFactory())
    client.force_login(_staff())

    client.post(
        reverse("admin:billing_bankdetails_change", args=[details.pk]), _entry(account="7654321")
    )

    details.refresh_from_db()
    assert (details.status, details.account_last3) == ("pending", "321")


def test_the_one_who_entered_the_details_cannot_confirm_them(client):
    details = bank_details(student=StudentFactory(), confirmed=False)
    client.force_login(details.changed_by)

    response = client.post(
        reverse("admin:billing_bankdetails_confirm", args=[details.pk]), follow=True
    )

    assert "another person must confirm them" in response.content.decode()
    details.refresh_from_db()
    assert details.status == "pending"


def test_a_second_person_confirms_from_the_students_page_and_comes_back_to_it(client):
    details = bank_details(student=StudentFactory(), confirmed=False)
    student_page = reverse("admin:scholarships_student_change", args=[details.student_id])
    client.force_login(_staff())

    page = client.get(student_page).content.decode()
    response = client.post(
        reverse("admin:billing_bankdetails_confirm", args=[details.pk]), {"_back": student_page}
    )

    assert "Confirm these bank details" in page
    assert response["Location"] == student_page
    details.refresh_from_db()
    assert details.status == "confirmed"


def test_the_confirmation_never_sends_to_another_site(client):
    details = bank_details(student=StudentFactory(), confirmed=False)
    client.force_login(_staff())

    response = client.post(
        reverse("admin:billing_bankdetails_confirm", args=[details.pk]),
        {"_back": "https://evil.example/"},
    )

    assert response["Location"] == reverse("admin:billing_bankdetails_change", args=[details.pk])


def test_the_full_number_is_shown_only_on_request_and_the_reading_logged(client):
    details = bank_details(student=StudentFactory(), account=NUMBER)
    staff = _staff()
    client.force_login(staff)

    page = client.get(reverse("admin:billing_bankdetails_change", args=[details.pk]))
    shown = client.post(reverse("admin:billing_bankdetails_reveal", args=[details.pk]))

    assert NUMBER not in page.content.decode()
    assert NUMBER in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert BankDetailsAccess.objects.filter(details=details, user=staff).count() == 1


def test_a_user_without_the_permission_cannot_see_the_full_number(client):
    details = bank_details(student=StudentFactory(), account=NUMBER)
    client.force_login(StaffUserFactory(group="Ops"))

    response = client.post(reverse("admin:billing_bankdetails_reveal", args=[details.pk]))

    assert response.status_code == 403
    assert not BankDetailsAccess.objects.filter(purpose="shown in the admin").exists()
