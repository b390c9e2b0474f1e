"""The account pages: signup paths, login throttling, password reset, invitations."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from avataq.tests.factories import StaffUserFactory
from portal.models import Account, Invitation, OutgoingEmail
from portal.services.accounts import confirmation_token
from portal.tasks import password_reset_send_task
from portal.tests.factories import PASSWORD, AccountFactory
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
DOB = dt.date(2004, 3, 14)


def link_path(email: OutgoingEmail, marker: str) -> str:
    start = email.body.index(marker)
    return email.body[start:].split()[0]


def test_signup_then_confirm_then_claim_opens_the_dashboard(client):
    StudentFactory(status_no="12345", date_of_birth=DOB, first_name="Annie")

    response = client.post(
        reverse("portal:signup"),
        {
            "email": "annie@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_notice": "on",
        },
    )
    assert response.status_code == 302 and response.url == reverse("portal:unconfirmed")
    assert "_auth_user_id" not in client.session  # nobody is signed in by a signup

    # The link from the email asks for the password, then confirms and signs in.
    confirm = link_path(OutgoingEmail.objects.get(), "/account/confirm/")
    assert client.get(confirm).status_code == 200
    assert client.post(confirm, {"password": PASSWORD}).url == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).url == reverse("portal:claim")

    response = client.post(
        reverse("portal:claim"), {"status_no": "12345", "date_of_birth": "2004-03-14"}
    )
    assert response.url == reverse("portal:dashboard")
    assert "Hello, Annie" in client.get(reverse("portal:dashboard")).content.decode()


def signup_page_after(email: str) -> tuple[int, str, str]:
    """What a visitor sees after signing up with ``email`` (the address itself, and
    the per-request CSRF token, masked)."""
    client = Client()
    response = client.post(
        reverse("portal:signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "accept_notice": "on"},
    )
    page = client.get(response.url).content.decode().replace(email, "EMAIL")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, response.url, page


def test_signup_answers_the_same_whether_the_email_has_an_account_or_not():
    AccountFactory(user__username="annie@example.org")

    taken = signup_page_after("Annie@Example.org")
    new = signup_page_after("lucassie@example.org")

    assert taken == new
    assert taken[1] == reverse("portal:unconfirmed")
    assert "We sent an email to" in taken[2]


def test_signup_shows_the_password_rules_when_they_fail(client):
    response = client.post(
        reverse("portal:signup"),
        {
            "email": "annie@example.org",
            "password1": "12345678",
            "password2": "12345678",
            "accept_notice": "on",
        },
    )

    assert "too common" in response.content.decode()
    assert not Account.objects.exists()


def claim(client, status_no, dob="2004-03-14"):
    return client.post(reverse("portal:claim"), {"status_no": status_no, "date_of_birth": dob})


def refusal(response) -> str:
    html = response.content.decode()
    start = html.index('class="errorlist nonfield"')
    return html[start : html.index("</ul>", start)]


def test_a_mismatch_and_an_already_claimed_record_get_the_same_neutral_answer(client):
    StudentFactory(status_no="11111", date_of_birth=DOB, user=AccountFactory().user)
    StudentFactory(status_no="22222", date_of_birth=DOB)
    client.force_login(AccountFactory().user)

    already_claimed = claim(client, "11111")
    mismatch = claim(client, "22222", dob="2004-03-15")
    unknown = claim(client, "99999")

    assert already_claimed.status_code == mismatch.status_code == unknown.status_code == 200
    assert refusal(already_claimed) == refusal(mismatch) == refusal(unknown)
    assert "sponsorship team has been told" in refusal(mismatch)


def test_an_unconfirmed_account_is_sent_to_confirm_before_claiming(client):
    StudentFactory(status_no="12345", date_of_birth=DOB)
    client.force_login(AccountFactory(confirmed_at=None).user)

    response = claim(client, "12345")

    assert response.url == reverse("portal:unconfirmed")


def test_a_signed_in_unconfirmed_student_can_ask_for_a_new_link(client):
    account = AccountFactory(confirmed_at=None)
    client.force_login(account.user)

    client.post(reverse("portal:unconfirmed"))

    assert OutgoingEmail.objects.get(template_code="account_confirmation").to == account.email


def test_an_expired_or_broken_confirmation_link_says_what_to_do(client):
    response = client.get(reverse("portal:confirm", args=["not-a-token"]))

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_opening_the_confirmation_link_changes_nothing_and_signs_nobody_in(client):
    account = AccountFactory(confirmed_at=None)

    response = client.get(reverse("portal:confirm", args=[confirmation_token(account)]))

    account.refresh_from_db()
    assert not account.is_confirmed  # mail scanners open links
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_confirmation_link_with_the_password_confirms_the_email_and_signs_in(client):
    account = AccountFactory(confirmed_at=None)

    response = client.post(
        reverse("portal:confirm", args=[confirmation_token(account)]), {"password": PASSWORD}
    )

    account.refresh_from_db()
    assert account.is_confirmed
    assert client.session["_auth_user_id"] == str(account.user.pk)
    assert response.url == reverse("portal:dashboard")


def test_the_confirmation_link_with_a_wrong_password_confirms_nothing(client):
    account = AccountFactory(confirmed_at=None)

    response = client.post(
        reverse("portal:confirm", args=[confirmation_token(account)]), {"password": "wrong"}
    )

    account.refresh_from_db()
    assert not account.is_confirmed
    assert response.status_code == 200 and "not the password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_on_the_confirmation_link_count_as_failed_sign_ins(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    account = AccountFactory(confirmed_at=None, user__username="annie@example.org")
    path = reverse("portal:confirm", args=[confirmation_token(account)])
    client.post(path, {"password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    client.post(path, {"password": "wrong"}, REMOTE_ADDR="10.0.0.2")

    response = login(client, "annie@example.org", "wrong", ip="10.0.0.3")

    assert response.status_code == 429


# --- login and throttling ------------------------------------------------------------------
def login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def signin_after_signup(email: str) -> tuple[int, str, bool]:
    """What a visitor sees who signs up with ``email`` and a password of their own, then
    signs in with them (the address and the CSRF token masked), and whether that signed
    them in."""
    client = Client()
    chosen = "another long passphrase 42"
    client.post(
        reverse("portal:signup"),
        {"email": email, "password1": chosen, "password2": chosen, "accept_notice": "on"},
    )
    response = client.post(reverse("portal:login"), {"username": email, "password": chosen})
    page = response.content.decode().replace(email, "EMAIL")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, page, "_auth_user_id" in client.session


def test_signing_in_after_signup_answers_the_same_whether_the_email_had_an_account():
    AccountFactory(user__username="annie@example.org")

    taken = signin_after_signup("annie@example.org")
    new = signin_after_signup("lucassie@example.org")

    assert taken == new
    assert taken[0] == 200 and not taken[2]
    assert "first confirm your email" in taken[1]


def test_an_unconfirmed_sign_in_counts_as_a_failed_one(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    AccountFactory(confirmed_at=None, user__username="annie@example.org")
    for i in range(2):
        login(client, "annie@example.org", ip=f"10.0.0.{i}")

    response = login(client, "annie@example.org", ip="10.0.0.9")

    assert response.status_code == 429


def test_an_unconfirmed_sign_in_does_the_same_work_as_a_wrong_password(client):
    AccountFactory(confirmed_at=None, user__username="annie@example.org")
    AccountFactory(user__username="lucassie@example.org")

    with CaptureQueriesContext(connection) as unconfirmed:
        login(client, "annie@example.org", ip="10.0.0.1")
    with CaptureQueriesContext(connection) as wrong_password:
        login(client, "lucassie@example.org", "wrong", ip="10.0.0.2")

    assert len(unconfirmed) == len(wrong_password)


def test_a_student_sign_in_ends_when_the_browser_closes(client, settings):
    AccountFactory(user__username="annie@example.org")

    login(client, "annie@example.org")

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def test_keep_me_signed_in_keeps_the_student_signed_in_on_this_device(client, settings):
    AccountFactory(user__username="annie@example.org")
    assert "Keep me signed in on this device" in client.get(reverse("portal:login")).text

    client.post(
        reverse("portal:login"),
        {"username": "annie@example.org", "password": PASSWORD, "remember": "on"},
    )

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert abs(int(cookie["max-age"]) - settings.KEPT_SESSION_SECONDS) < 60


def test_login_ignores_the_case_of_the_email(client):
    AccountFactory(user__username="annie@example.org")

    response = login(client, "ANNIE@example.org")

    assert response.status_code == 302 and response.url == reverse("portal:dashboard")


def test_failed_logins_lock_the_account_even_from_other_addresses(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    AccountFactory(user__username="annie@example.org")
    for i in range(3):
        login(client, "annie@example.org", "wrong", ip=f"10.0.0.{i}")

    response = login(client, "Annie@example.org", ip="10.9.9.9")

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_failed_logins_from_one_address_lock_that_address_for_every_account(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    AccountFactory(user__username="annie@example.org")
    for i in range(3):
        login(client, f"guess{i}@example.org", "wrong", ip="10.0.0.7")

    assert login(client, "annie@example.org", ip="10.0.0.7").status_code == 429
    assert login(client, "annie@example.org", ip="10.0.0.8").status_code == 302


def test_behind_the_proxy_one_clients_failures_lock_only_that_client(client, settings):
    settings.AXES_FAILURE_LIMIT, settings.TRUSTED_PROXY_COUNT = 3, 1
    AccountFactory(user__username="annie@example.org")
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for i in range(3):
        client.post(
            reverse("portal:login"),
            {"username": f"guess{i}@example.org", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            **proxy,
        )

    response = client.post(
        reverse("portal:login"),
        {"username": "annie@example.org", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.8",
        **proxy,
    )

    assert response.status_code == 302


def ask_for_a_reset(client, email: str):
    """The reset page, then the task it queued for after the commit (whose email stays
    queued, link and all, as the test's transaction never commits)."""
    with TestCase.captureOnCommitCallbacks() as callbacks:
        response = client.post(reverse("portal:password_reset"), {"email": email})
    for callback in callbacks:
        callback()
    return response


def test_the_password_reset_email_comes_from_the_template_and_its_link_works(client):
    account = AccountFactory(user__username="annie@example.org")
    StudentFactory(user=account.user, language="fr")

    ask_for_a_reset(client, "ANNIE@example.org")

    email = OutgoingEmail.objects.get(template_code="password_reset")
    assert email.language == "fr" and "3 heures" in email.body
    page = client.get(link_path(email, "/account/reset/"), follow=True)
    assert page.context["validlink"]
    new = "another long passphrase 42"
    client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    account.user.refresh_from_db()
    assert account.user.check_password(new)


def test_the_owner_of_an_address_takes_back_an_account_someone_else_opened_with_it(client):
    squatted = AccountFactory(confirmed_at=None, user__username="annie@example.org")
    ask_for_a_reset(client, "annie@example.org")
    page = client.get(link_path(OutgoingEmail.objects.get(), "/account/reset/"), follow=True)
    new = "another long passphrase 42"

    client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    squatted.refresh_from_db()
    squatted.user.refresh_from_db()
    assert squatted.is_confirmed and squatted.user.check_password(new)


def test_asking_for_a_reset_twice_at_once_sends_one_email_and_says_the_same(client):
    AccountFactory(user__username="annie@example.org")
    first = ask_for_a_reset(client, "annie@example.org")

    second = ask_for_a_reset(client, "annie@example.org")

    assert first.url == second.url == reverse("portal:password_reset_done")
    assert OutgoingEmail.objects.filter(template_code="password_reset").count() == 1


def test_a_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = ask_for_a_reset(client, "nobody@example.org")

    assert response.url == reverse("portal:password_reset_done")
    assert not OutgoingEmail.objects.exists()


def reset_page_work(email: str) -> tuple[list[str], str, int]:
    """The queries the reset page makes for ``email``, where it sends the visitor, and
    how many callbacks it leaves for after the commit (its task)."""
    with (
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks() as callbacks,
    ):
        response = Client().post(reverse("portal:password_reset"), {"email": email})
    return [query["sql"] for query in queries], response.url, len(callbacks)


def test_the_reset_page_does_the_same_work_whether_the_email_has_an_account_or_not():
    AccountFactory(user__username="annie@example.org")

    assert reset_page_work("annie@example.org") == reset_page_work("nobody@example.org")


def test_the_reset_page_hands_its_task_only_the_address(client, monkeypatch):
    queued = []
    monkeypatch.setattr(
        password_reset_send_task, "apply_async", lambda args, **options: queued.append(args)
    )

    ask_for_a_reset(client, "annie@example.org")

    assert queued == [("annie@example.org",)]
    assert json.loads(json.dumps(queued[0])) == ["annie@example.org"]


def test_staff_invite_a_student_from_the_admin(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    student = StudentFactory()

    response = client.post(
        reverse("admin:portal_invitation_add"), {"student": student.pk, "email": "a@example.org"}
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.student == student and invitation.used_at is None
    email = OutgoingEmail.objects.get(template_code="account_invitation")
    path = link_path(email, "/account/invitation/")
    client.logout()
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.url == reverse("portal:dashboard")
    student.refresh_from_db()
    assert student.user.email == "a@example.org"
    assert client.get(path).status_code == 400  # one time only


def test_the_admin_refuses_to_invite_a_student_who_has_an_account(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    student = StudentFactory(user=AccountFactory().user)

    response = client.post(
        reverse("admin:portal_invitation_add"), {"student": student.pk, "email": "b@example.org"}
    )

    assert response.status_code == 200
    assert "already has a portal account" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "language, said",
    [
        ("en", "This email and password do not open an account."),
        ("fr", "Ce courriel et ce mot de passe n&#x27;ouvrent aucun compte."),
    ],
)
def test_a_failed_login_speaks_of_the_email_not_a_username(client, language, said):
    AccountFactory(user__username="annie@example.org")
    client.cookies["django_language"] = language

    page = login(client, "annie@example.org", "not the password").content.decode()

    assert said in page
    assert "username" not in re.sub(r"<[^>]*>", "", page).lower()  # what the page reads
