"""Signup, confirmation, claiming a student record, invitations (the services)."""

import datetime as dt
import time

import pytest
from django.core import mail, signing

from avataq.tests.factories import StaffUserFactory
from portal.models import Account, ClaimAttempt, Invitation, OutgoingEmail
from portal.services import accounts
from portal.tasks import password_reset_send_task
from portal.tests.factories import PASSWORD, AccountFactory
from scholarships.models import Student
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
DOB = dt.date(2004, 3, 14)


def confirm_link_token(email: OutgoingEmail) -> str:
    return email.body.split("/account/confirm/")[1].split("/")[0]


def test_signup_creates_an_unconfirmed_account_and_queues_its_confirmation_email():
    account = accounts.account_signup(email="Annie@Example.org", password=PASSWORD, language="fr")

    assert account.confirmed_at is None
    assert account.user.username == "annie@example.org"
    assert account.user.check_password(PASSWORD)
    sent = OutgoingEmail.objects.get(template_code="account_confirmation")
    assert sent.to == "Annie@Example.org" and sent.language == "fr"
    assert "/account/confirm/" in sent.body


def test_emails_are_unique_without_regard_to_case():
    accounts.account_signup(email="annie@example.org", password=PASSWORD, language="en")

    again = accounts.account_signup(email="ANNIE@example.ORG", password=PASSWORD, language="en")

    assert again is None and Account.objects.count() == 1


def test_a_signup_with_an_email_in_use_tells_its_owner_in_their_language():
    AccountFactory(user__username="annie@example.org", language="fr")

    accounts.account_signup(email="Annie@example.org", password=PASSWORD, language="en")

    told = OutgoingEmail.objects.get(template_code="account_exists")
    assert told.to == "Annie@example.org" and told.language == "fr"
    assert "/account/reset/" in told.body and "/account/login/" in told.body
    assert not OutgoingEmail.objects.filter(template_code="account_confirmation").exists()


def test_a_weak_password_is_refused_by_the_password_rules():
    with pytest.raises(accounts.AccountError, match=r"too common|too short"):
        accounts.account_signup(email="annie@example.org", password="password", language="en")
    assert not Account.objects.exists()


def test_the_confirmation_link_confirms_the_account():
    account = accounts.account_signup(email="annie@example.org", password=PASSWORD, language="en")

    accounts.account_confirm(
        token=confirm_link_token(OutgoingEmail.objects.get()), user=account.user
    )

    account.refresh_from_db()
    assert account.is_confirmed


def test_a_confirmation_link_expires_after_seven_days(monkeypatch):
    account = AccountFactory(confirmed_at=None)
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = accounts.confirmation_token(account)
    monkeypatch.undo()

    with pytest.raises(accounts.AccountError, match="expired"):
        accounts.account_confirm(token=token, user=account.user)
    account.refresh_from_db()
    assert not account.is_confirmed


def test_a_tampered_confirmation_link_is_refused():
    account = AccountFactory(confirmed_at=None)

    with pytest.raises(accounts.AccountError, match="not valid"):
        accounts.account_confirm(
            token=accounts.confirmation_token(account) + "x", user=account.user
        )


def test_a_confirmation_link_confirms_only_for_its_own_account():
    account, someone_else = AccountFactory(confirmed_at=None), AccountFactory()

    with pytest.raises(accounts.AccountError, match="another account"):
        accounts.account_confirm(token=accounts.confirmation_token(account), user=someone_else.user)
    account.refresh_from_db()
    assert not account.is_confirmed


def test_a_completed_password_reset_proves_the_email():
    account = AccountFactory(confirmed_at=None)

    accounts.account_email_proven(user=account.user)

    account.refresh_from_db()
    assert account.is_confirmed


def test_a_password_reset_link_goes_to_the_account_in_its_language():
    account = AccountFactory(user__username="annie@example.org", user__email="Annie@example.org")
    StudentFactory(user=account.user, language="fr")

    assert password_reset_send_task.delay("ANNIE@example.org").get() == 1

    sent = OutgoingEmail.objects.get(template_code="password_reset")
    assert sent.to == "Annie@example.org" and sent.language == "fr"
    assert "/account/reset/" in sent.body and "3 heures" in sent.body


def test_a_password_reset_for_an_address_without_an_account_sends_nothing():
    AccountFactory(user__username="annie@example.org")

    assert password_reset_send_task.delay("nobody@example.org").get() == 0
    assert not OutgoingEmail.objects.exists()


def test_a_password_reset_asked_for_again_at_once_sends_no_second_link():
    AccountFactory(user__username="annie@example.org")
    accounts.password_reset_send(email="annie@example.org")

    assert accounts.password_reset_send(email="annie@example.org") == 0
    assert OutgoingEmail.objects.filter(template_code="password_reset").count() == 1


def test_a_new_confirmation_email_can_be_asked_for():
    AccountFactory(user__username="annie@example.org", confirmed_at=None)

    assert accounts.confirmation_resend(email="ANNIE@example.org") is True
    assert accounts.confirmation_resend(email="nobody@example.org") is False
    assert OutgoingEmail.objects.filter(template_code="account_confirmation").count() == 1


def test_asking_again_at_once_sends_no_second_link():
    AccountFactory(user__username="annie@example.org", confirmed_at=None)
    accounts.confirmation_resend(email="annie@example.org")

    assert accounts.confirmation_resend(email="annie@example.org") is False
    assert OutgoingEmail.objects.filter(template_code="account_confirmation").count() == 1


def test_a_matching_claim_links_the_record_and_keeps_the_language():
    account = AccountFactory(language="fr")
    student = StudentFactory(status_no="12345", date_of_birth=DOB, email="")

    claimed = accounts.student_claim(account=account, status_no=" 12345 ", date_of_birth=DOB)

    assert claimed == student
    student.refresh_from_db()
    assert student.user == account.user
    assert student.language == "fr"
    assert student.email == account.email
    assert ClaimAttempt.objects.get().succeeded


def test_the_student_hears_of_the_link_at_the_address_on_their_record():
    account = AccountFactory(user__username="someone@example.org", language="fr")
    StudentFactory(status_no="12345", date_of_birth=DOB, email="annie@example.org")

    accounts.student_claim(account=account, status_no="12345", date_of_birth=DOB)

    told = OutgoingEmail.objects.get(template_code="record_linked")
    assert told.to == "annie@example.org" and told.language == "fr"
    assert "someone@example.org" in told.body


def test_no_such_email_when_the_record_has_the_accounts_own_address():
    account = AccountFactory(user__username="annie@example.org")
    StudentFactory(status_no="12345", date_of_birth=DOB, email="Annie@Example.org")

    accounts.student_claim(account=account, status_no="12345", date_of_birth=DOB)

    assert not OutgoingEmail.objects.filter(template_code="record_linked").exists()


@pytest.mark.parametrize(
    "status_no, dob",
    [("12345", dt.date(2004, 3, 15)), ("99999", DOB)],
    ids=["wrong date of birth", "unknown status number"],
)
def test_a_claim_that_does_not_match_is_refused_and_staff_are_told(status_no, dob):
    StaffUserFactory(group="Staff", email="staff@example.org")
    StaffUserFactory(group="Counsellors", email="counsellor@example.org")
    StudentFactory(status_no="12345", date_of_birth=DOB)
    account = AccountFactory()

    assert accounts.student_claim(account=account, status_no=status_no, date_of_birth=dob) is None

    assert not ClaimAttempt.objects.get().succeeded
    told = OutgoingEmail.objects.get(template_code="claim_refused")  # Staff: the record
    assert told.to == "staff@example.org"  # has no counsellor (or there is no record)
    assert account.email in told.body and status_no in told.body


def test_a_refused_claim_alerts_the_records_own_counsellor_once_a_day():
    from scholarships import services as student_services

    StaffUserFactory(group="Staff", email="staff@example.org")
    counsellor = StaffUserFactory(group="Counsellors", email="annie.b@example.org")
    StaffUserFactory(group="Counsellors", email="someone.else@example.org")
    student = StudentFactory(status_no="12345", date_of_birth=DOB)
    student.counsellor = counsellor
    student_services.student_save(student=student, by=None)

    for _ in range(3):  # the same student mistyping their birth date three times
        accounts.student_claim(
            account=AccountFactory(), status_no="12345", date_of_birth=dt.date(2004, 3, 15)
        )

    told = OutgoingEmail.objects.filter(template_code="claim_refused")
    assert list(told.values_list("to", flat=True)) == ["annie.b@example.org"]
    assert "?q=12345" in told.get().body


def test_a_record_already_claimed_is_refused_like_a_mismatch():
    StaffUserFactory(group="Staff", email="staff@example.org")
    owner = AccountFactory()
    student = StudentFactory(status_no="12345", date_of_birth=DOB, user=owner.user)
    account = AccountFactory()

    assert accounts.student_claim(account=account, status_no="12345", date_of_birth=DOB) is None
    student.refresh_from_db()
    assert student.user == owner.user
    assert OutgoingEmail.objects.get(template_code="claim_refused").to == "staff@example.org"
    assert not ClaimAttempt.objects.get(account=account).succeeded


def test_an_unconfirmed_account_cannot_claim():
    StudentFactory(status_no="12345", date_of_birth=DOB)

    with pytest.raises(accounts.AccountError, match="Confirm your email"):
        accounts.student_claim(
            account=AccountFactory(confirmed_at=None), status_no="12345", date_of_birth=DOB
        )
    assert not ClaimAttempt.objects.exists()


def test_claims_stop_matching_after_five_refusals_a_day():
    student = StudentFactory(status_no="12345", date_of_birth=DOB)
    account = AccountFactory()
    for day in range(1, 6):
        accounts.student_claim(
            account=account, status_no="12345", date_of_birth=DOB.replace(day=day)
        )

    # The right answer, sixth try: still refused, so a date of birth cannot be guessed.
    assert accounts.student_claim(account=account, status_no="12345", date_of_birth=DOB) is None
    student.refresh_from_db()
    assert student.user is None


def test_more_accounts_are_no_more_guesses_at_one_record():
    student = StudentFactory(status_no="12345", date_of_birth=DOB)
    plus = [AccountFactory(user__username=f"annie+{n}@example.org") for n in range(3)]
    for day in range(1, 6):  # five refusals, spread over three accounts of one person
        accounts.student_claim(
            account=plus[day % 3], status_no="12345", date_of_birth=DOB.replace(day=day)
        )

    fresh = AccountFactory()
    assert accounts.student_claim(account=fresh, status_no="12345", date_of_birth=DOB) is None
    student.refresh_from_db()
    assert student.user is None


def test_claims_from_one_address_stop_matching_after_twenty_refusals():
    StudentFactory(status_no="99999", date_of_birth=DOB)
    for n in range(accounts.CLAIM_ATTEMPTS_PER_ADDRESS):
        accounts.student_claim(
            account=AccountFactory(),
            status_no=f"{n:05d}",
            date_of_birth=DOB,
            ip_address="198.51.100.7",
        )

    refused = accounts.student_claim(
        account=AccountFactory(), status_no="99999", date_of_birth=DOB, ip_address="198.51.100.7"
    )
    matched = accounts.student_claim(
        account=AccountFactory(), status_no="99999", date_of_birth=DOB, ip_address="198.51.100.8"
    )

    assert refused is None and matched is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_cannot_get_past_the_daily_limit(data_migration_rows, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    StudentFactory(status_no="12345", date_of_birth=DOB)
    account = AccountFactory()
    for day in range(1, 5):  # four refusals: one try is left today
        accounts.student_claim(
            account=account, status_no="12345", date_of_birth=DOB.replace(day=day)
        )
    examined, lock = [], threading.Lock()
    look_up = accounts._claimable_record

    def counted(*args):
        with lock:
            examined.append(args)
        return look_up(*args)

    monkeypatch.setattr(accounts, "_claimable_record", counted)

    def claim(day: int) -> None:
        try:
            accounts.student_claim(
                account=account, status_no="12345", date_of_birth=DOB.replace(day=day)
            )
        except accounts.AccountError:
            pass  # the right answer won the lock first: the account is linked already
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:  # eight tries at once, one of them right
        list(pool.map(claim, [10, 11, 12, 13, DOB.day, 15, 16, 17]))

    assert len(examined) == 1  # only one of the eight was looked at


def test_staff_invite_a_student_with_a_one_time_link():
    staff = StaffUserFactory(group="Staff")
    student = StudentFactory(language="fr")

    _invitation, url = accounts.invitation_create(
        student=student, email="annie@example.org", by=staff
    )
    token = url.rstrip("/").rsplit("/", 1)[1]
    account = accounts.invitation_accept(token=token, password=PASSWORD)

    student.refresh_from_db()
    assert student.user == account.user and account.is_confirmed
    assert OutgoingEmail.objects.get(template_code="account_invitation").language == "fr"
    with pytest.raises(accounts.AccountError, match="not valid any more"):
        accounts.invitation_accept(token=token, password=PASSWORD)


def test_a_new_invitation_revokes_the_earlier_one():
    staff = StaffUserFactory(group="Staff")
    student = StudentFactory()
    _first, mistyped = accounts.invitation_create(
        student=student, email="anie@example.org", by=staff
    )
    accounts.invitation_create(student=student, email="annie@example.org", by=staff)

    token = mistyped.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(accounts.AccountError, match="not valid any more"):
        accounts.invitation_accept(token=token, password=PASSWORD)


def test_accepting_re_checks_the_record_under_its_lock(monkeypatch):
    staff = StaffUserFactory(group="Staff")
    student = StudentFactory()
    _invitation, url = accounts.invitation_create(
        student=student, email="annie@example.org", by=staff
    )
    invitation = Invitation.objects.get()
    # The race: the link was looked up just before another request linked the record.
    monkeypatch.setattr(accounts, "invitation_for", lambda token: invitation)
    Student.objects.filter(pk=student.pk).update(user=AccountFactory().user)

    with pytest.raises(accounts.AccountError, match="not valid any more"):
        accounts.invitation_accept(token=url.rstrip("/").rsplit("/", 1)[1], password=PASSWORD)
    assert not Account.objects.filter(email="annie@example.org").exists()


def test_an_invitation_is_refused_for_a_student_who_has_an_account():
    student = StudentFactory(user=AccountFactory().user)

    with pytest.raises(accounts.AccountError, match="already has a portal account"):
        accounts.invitation_create(
            student=student, email="x@example.org", by=StaffUserFactory(group="Staff")
        )


def test_the_language_is_remembered_on_the_student_record():
    account = AccountFactory()
    student = StudentFactory(user=account.user, language="en")

    accounts.language_set(user=account.user, language="fr")

    student.refresh_from_db()
    assert student.language == "fr"
    with pytest.raises(accounts.AccountError):
        accounts.language_set(user=account.user, language="de")


def test_no_email_leaves_before_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        accounts.account_signup(email="annie@example.org", password=PASSWORD, language="en")

    assert mail.outbox == [] and len(callbacks) == 1


# --- unconfirmed accounts expire -------------------------------------------------------------
def signed_up_days_ago(days: int, email: str = "annie@example.org") -> Account:
    """An account signed up (and sent its confirmation link) ``days`` ago, never confirmed."""
    from django.utils import timezone

    account = accounts.account_signup(email=email, password=PASSWORD, language="en")
    then = timezone.now() - dt.timedelta(days=days)
    Account.objects.filter(pk=account.pk).update(created_at=then)
    OutgoingEmail.objects.filter(to=email).update(created_at=then)
    return account


def test_an_unconfirmed_account_whose_link_has_expired_is_removed_with_its_login():
    account = signed_up_days_ago(8)

    assert accounts.unconfirmed_accounts_expire() == 1

    assert not Account.objects.filter(pk=account.pk).exists()
    assert not type(account.user).objects.filter(pk=account.user_id).exists()


def test_an_unconfirmed_account_whose_link_still_works_stays():
    signed_up_days_ago(6)

    assert accounts.unconfirmed_accounts_expire() == 0
    assert Account.objects.count() == 1


def test_an_account_sent_a_new_link_lately_stays():
    account = signed_up_days_ago(30)
    accounts.confirmation_resend(email=account.email)

    assert accounts.unconfirmed_accounts_expire() == 0


def test_a_confirmed_account_never_expires():
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    assert accounts.unconfirmed_accounts_expire() == 0


def test_an_unconfirmed_account_linked_to_a_student_record_never_expires():
    account = signed_up_days_ago(30)
    student = StudentFactory(user=account.user)

    assert accounts.unconfirmed_accounts_expire() == 0
    student.refresh_from_db()
    assert student.user == account.user


def test_the_nightly_task_expires_unconfirmed_accounts():
    from portal.tasks import unconfirmed_accounts_expire_task

    signed_up_days_ago(8)

    assert unconfirmed_accounts_expire_task() == 1
    assert not Account.objects.exists()


def test_the_beat_schedule_runs_the_expiry_every_night(settings):
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "portal.tasks.unconfirmed_accounts_expire_task"
    )

    assert len(entry["schedule"].hour) == 1 and entry["schedule"].day_of_week == set(range(7))
