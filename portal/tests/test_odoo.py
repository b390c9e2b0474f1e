"""The cut-over from Odoo: portal users become unconfirmed accounts without password,
linked to their student; ``invite_students --imported`` invites each in their language."""

from io import StringIO

import pytest
from django.core.management import call_command

from avataq.odoo.tests.exports import import_odoo
from portal.models import Account, Invitation, MailTemplate, OutgoingEmail
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
    assert "2 invitations sent." in output
    emails = {
        e.to: e.language for e in OutgoingEmail.objects.filter(template_code="account_invitation")
    }
    assert emails == {"Elisapie.Qumaluk@example.org": "fr", "tomassie@example.org": "en"}


def test_invite_imported_twice_sends_nothing_twice(imported, admin_user):
    invite()
    assert "0 invitations sent." in invite()
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


# --- mail templates ------------------------------------------------------------------------------
INVITATION = "avataq_sponsorship.mail_template_invitation"
INVITATION_BODY = (
    '<p>Bonjour <t t-out="object.firstname"/>,</p>'
    "<p>Votre compte vous attend&nbsp;: "
    '<a href="{{ object.invite_url }}">créer mon mot de passe</a>.<br/>'
    "Ce lien est valide {{ object.days }} jours.</p>"
)


def mail_templates(folder, *rows: list[str]) -> None:
    """A ``mail.template`` export in the folder, as Odoo writes it."""
    from avataq.odoo.tests.exports import Table, write_exports

    table = Table(
        "mail.template",
        "Email Templates (mail.template).csv",
        ["id", "name", "subject", "body_html"],
        [list(r) for r in rows],
    )
    write_exports(folder, {"mail.template": table})


def mapping_with_templates(tmp_path, language: str = "en") -> str:
    from avataq.odoo.mapping import DEFAULT_MAPPING

    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    text = text.replace(
        '[mail_template.fields]\nlanguage = "=en"',
        f'[mail_template.fields]\nlanguage = "={language}"',
    )
    text = text.replace(
        "[mail_template.values.code]\n",
        f'[mail_template.values.code]\n"{INVITATION}" = "account_invitation"\n'
        '"Avataq: paiement" = "payment_sent"\n',
    )
    text = text.replace(
        "[mail_template.values.variable]\n",
        "[mail_template.values.variable]\n"
        '"object.firstname" = "first_name"\n'
        '"object.invite_url" = "invite_url"\n'
        '"object.days" = "days"\n',
    )
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def invitation_row(body: str = INVITATION_BODY) -> list[str]:
    return [INVITATION, "Avataq: invitation", "Bienvenue {{ object.firstname }}", body]


def test_a_mapped_mail_template_replaces_our_wording_in_plain_text_with_our_variables(
    exports, tmp_path
):
    mail_templates(exports, invitation_row())
    import_odoo(str(exports), "--mapping", mapping_with_templates(tmp_path, "fr"))
    template = MailTemplate.objects.get(code="account_invitation", language="fr")
    assert template.subject == "Bienvenue {{ first_name }}"
    assert template.body == (
        "Bonjour {{ first_name }},\n\n"
        "Votre compte vous attend\xa0: {{ invite_url }} créer mon mot de passe.\n"
        "Ce lien est valide {{ days }} jours.\n"
    )


def test_a_mail_template_the_mapping_does_not_name_is_skipped(exports, tmp_path):
    mail_templates(exports, ["__export__.mail_template_9_ab", "Avataq: rappel", "Rappel", "<p/>"])
    before = sorted(MailTemplate.objects.values_list("pk", "subject"))
    _code, output = import_odoo(str(exports), "--mapping", mapping_with_templates(tmp_path))
    line = next(line for line in output.splitlines() if "portal.MailTemplate" in line)
    assert line.split()[2:] == ["1", "0", "0", "0", "1", "0"]  # read … skipped, refused
    assert sorted(MailTemplate.objects.values_list("pk", "subject")) == before


def test_a_mail_template_with_an_odoo_expression_not_mapped_is_refused_naming_it(exports, tmp_path):
    body = INVITATION_BODY + "<p>{{ object.partner_id.city }}</p>"
    mail_templates(exports, invitation_row(body))
    code, output = import_odoo(str(exports), "--mapping", mapping_with_templates(tmp_path))
    assert code == 1
    assert (
        "Email Templates (mail.template).csv:2: Odoo expression(s) object.partner_id.city "
        "have no variable of ours" in output
    )
    assert not MailTemplate.objects.filter(subject__startswith="Bienvenue").exists()


def test_a_mail_template_that_would_lose_its_link_is_refused(exports, tmp_path):
    mail_templates(exports, invitation_row("<p>Bonjour <t t-out='object.firstname'/></p>"))
    code, output = import_odoo(str(exports), "--mapping", mapping_with_templates(tmp_path))
    assert code == 1
    assert "the email would lose its link(s) invite_url" in output


def test_a_mail_template_named_by_its_odoo_name_is_imported(exports, tmp_path):
    mail_templates(
        exports,
        [
            "__export__.mail_template_12_cd",
            "Avataq: paiement",
            "Paiement envoyé",
            "<p>{{ object.firstname }}</p>",
        ],
    )
    _code, output = import_odoo(str(exports), "--mapping", mapping_with_templates(tmp_path))
    # Refused: the payment email's link (payments_url) would be lost; found by its name.
    assert "the email would lose its link(s) payments_url" in output


def test_importing_the_mail_templates_again_changes_nothing(exports, tmp_path):
    mail_templates(exports, invitation_row())
    mapping = mapping_with_templates(tmp_path)
    import_odoo(str(exports), "--mapping", mapping)
    before = sorted(MailTemplate.objects.values_list("pk", "subject", "body", "updated_at"))
    _code, output = import_odoo(str(exports), "--mapping", mapping)
    line = next(line for line in output.splitlines() if "portal.MailTemplate" in line)
    assert line.split()[2:] == ["1", "0", "0", "1", "0", "0"]
    assert sorted(MailTemplate.objects.values_list("pk", "subject", "body", "updated_at")) == before
