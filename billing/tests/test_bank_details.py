import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from billing.models import BankDetails, BankDetailsAccess
from billing.payments import crypto
from billing.payments.bank_details import (
    bank_details_confirm,
    bank_details_reveal,
    bank_details_rotate,
    bank_details_set,
)
from billing.payments.errors import BankDetailsInvalid, FourEyes
from billing.tests.factories_payments import bank_details, finance_user
from portal.models import OutgoingEmail
from scholarships.tests.factories import SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db


def _set(student, by, **overrides):
    values = {
        "holder_name": "Annie",
        "institution": "815",
        "transit": "30800",
        "account": "123456789",
    } | overrides
    return bank_details_set(student=student, by=by, **values)


def test_the_database_column_never_holds_the_account_number_in_clear():
    details = _set(StudentFactory(), finance_user(), account="987654321")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(b)::text FROM billing_bankdetails b WHERE id = %s", [details.pk]
        )
        (row,) = cursor.fetchone()
        cursor.execute("SELECT row_to_json(h)::text FROM billing_historicalbankdetails h")
        history = " ".join(r[0] for r in cursor.fetchall())

    assert "987654321" not in row
    assert "987654321" not in history
    assert crypto.decrypt(BankDetails.objects.get().account_ciphertext) == "987654321"


def test_the_number_is_shown_masked_with_its_last_three_digits():
    details = _set(StudentFactory(), finance_user(), account="987654321")

    assert details.masked == "•••321"
    assert "987654321" not in str(details)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("institution", "81", "Institution number"),
        ("transit", "3080A", "Transit number"),
        ("account", "123456", "Account number"),
        ("account", "1234567890123", "Account number"),
    ],
)
def test_a_malformed_canadian_detail_is_refused_naming_the_field(field, value, named):
    with pytest.raises(BankDetailsInvalid, match=named):
        _set(StudentFactory(), finance_user(), **{field: value})
    assert not BankDetails.objects.exists()


def test_an_iban_with_wrong_check_digits_is_refused():
    with pytest.raises(BankDetailsInvalid, match="IBAN"):
        bank_details_set(
            school=SchoolFactory(),
            holder_name="Université",
            scheme="iban",
            iban="FR7630006000011234567890188",
            bic="BNPAFRPP",
            by=finance_user(),
        )


def test_a_school_abroad_is_paid_by_iban_and_bic():
    details = bank_details_set(
        school=SchoolFactory(),
        holder_name="Université",
        scheme="iban",
        iban="FR76 3000 6000 0112 3456 7890 189",
        bic="BNPAFRPP",
        by=finance_user(),
    )

    assert details.masked == "•••189"
    assert crypto.decrypt(details.account_ciphertext) == "FR7630006000011234567890189"


def test_new_details_wait_for_confirmation():
    details = _set(StudentFactory(), finance_user())

    assert details.status == BankDetails.Status.PENDING


def test_the_person_who_entered_the_details_cannot_confirm_them():
    clerk = finance_user()
    details = _set(StudentFactory(), clerk)

    with pytest.raises(FourEyes):
        bank_details_confirm(details=details, by=clerk)
    assert BankDetails.objects.get().status == BankDetails.Status.PENDING


def test_a_second_person_confirms_the_details():
    details = bank_details_confirm(
        details=_set(StudentFactory(), finance_user()), by=finance_user()
    )

    assert details.status == BankDetails.Status.CONFIRMED


def test_a_change_puts_confirmed_details_back_to_waiting():
    details = bank_details(student=StudentFactory())

    changed = _set(details.student, finance_user(), account="7654321")

    assert changed.pk == details.pk
    assert changed.status == BankDetails.Status.PENDING
    assert changed.confirmed_by is None


def test_a_change_is_recorded_in_history_with_who_made_it():
    clerk = finance_user()
    details = bank_details(student=StudentFactory())

    _set(details.student, clerk, account="7654321")

    latest = details.history.order_by("-history_id").first()
    assert latest.history_user == clerk
    assert latest.account_last3 == "321"


def test_the_student_is_told_of_a_change_at_the_address_on_file(
    django_capture_on_commit_callbacks,
):
    student = StudentFactory(email="annie@example.org", language="fr")

    _set(student, finance_user(), account="7654321")

    email = OutgoingEmail.objects.get(template_code="bank_details_changed")
    assert email.to == "annie@example.org"
    assert email.language == "fr"
    assert "•••321" in email.body
    assert "7654321" not in email.body


def test_reading_the_full_number_is_logged_with_who_and_why():
    reader = finance_user()
    details = _set(StudentFactory(), finance_user(), account="7654321")

    number = bank_details_reveal(details=details, by=reader, purpose="phone call with bank")

    assert number == "7654321"
    access = BankDetailsAccess.objects.get()
    assert (access.user, access.purpose) == (reader, "phone call with bank")


def test_rotation_reencrypts_every_number_under_the_new_key(settings):
    old = settings.BANK_DETAILS_KEYS[0]
    details = _set(StudentFactory(), finance_user(), account="7654321")
    new = Fernet.generate_key().decode()
    settings.BANK_DETAILS_KEYS = [new, old]

    call_command("rotate_bank_key", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.BANK_DETAILS_KEYS = [new]
    details.refresh_from_db()
    assert crypto.decrypt(details.account_ciphertext) == "7654321"


def test_rotation_with_the_old_key_dropped_too_early_stops_naming_the_problem(settings):
    _set(StudentFactory(), finance_user())
    settings.BANK_DETAILS_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.UnreadableNumber):
        bank_details_rotate()
