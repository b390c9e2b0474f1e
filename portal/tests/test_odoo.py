"""The cut-over from Odoo: portal users become unconfirmed accounts without password,
linked to their student; ``invite_students --imported`` invites each in their language."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import Account, Invitation, OutgoingEmail
from portal.services.accounts import invitation_accept
from scholarships.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "x" * 12)


def invite() -> str:
    out = StringIO()
    call_command("invite_students", "--imported", stdout=out)
    return out.getvalue()


def test_portal_users_become_unconfirmed_accounts_linked_to_their_student(imported):
    account = Account.objects.get(email="Elisapie.Qumaluk@example.org")
    assert account.confirmed_at is None
    assert Student.objects.get(status_no="10234").user == account.user


def test_imported_accounts_have_no_usable_password(imported):
    assert Account.objects.count() == 2
    assert not any(a.user.has_usable_password() for a in Account.objects.select_related("user"))


def test_an_internal_odoo_user_gets_no_portal_account(imported, django_user_model):
    assert not django_user_model.objects.filter(username="admin").exists()


def test_invite_imported_sends_each_student_an_invitation_in_their_language(imported, admin_user):
    output = invite()
    assert "2 invitation(s) sent." in output
    emails = {
        e.to: e.language for e in OutgoingEmail.objects.filter(template_code="account_invitation")
    }
    assert emails == {"Elisapie.Qumaluk@example.org": "fr", "tomassie@example.org": "en"}


def test_invite_imported_twice_sends_nothing_twice(imported, admin_user):
    invite()
    assert "0 invitation(s) sent." in invite()
    assert Invitation.objects.count() == 2


def test_accepting_the_invitation_sets_the_password_and_confirms_the_account(
    imported, admin_user, monkeypatch
):
    from portal.services import accounts

    tokens = []
    real = accounts.secrets.token_urlsafe
    monkeypatch.setattr(
        accounts.secrets, "token_urlsafe", lambda n: tokens.append(real(n)) or tokens[-1]
    )
    invite()
    student = Student.objects.get(status_no="20456")
    token = next(
        t
        for t in tokens
        if Invitation.objects.get(token_hash=accounts._token_hash(t)).student == student
    )
    account = invitation_accept(token=token, password="a long enough passphrase")
    account.refresh_from_db()
    assert account.confirmed_at is not None
    assert account.user.check_password("a long enough passphrase")
    assert account.user == Student.objects.get(pk=student.pk).user


def test_invite_without_imported_is_refused():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--imported"):
        call_command("invite_students")
