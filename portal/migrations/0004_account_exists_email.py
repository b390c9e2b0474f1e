"""The account_exists email: told to the owner of an address someone signed up with
again (signup itself says the same either way)."""

import importlib

from django.db import migrations, models

_defaults = importlib.import_module("portal.migrations.0002_default_mail_templates")

TEMPLATES = {
    ("account_exists", "en"): (
        "You already have an Avataq portal account",
        "Hello,\n\nSomeone, probably you, tried to create an Avataq student portal account "
        "with this email address. It already has one.\n\n"
        "Sign in here:\n{{ login_url }}\n\n"
        "Forgot your password? Choose a new one here:\n{{ reset_url }}\n\n"
        "If it was not you, you can ignore this email: nothing has changed."
        + _defaults.SIGNATURE_EN,
    ),
    ("account_exists", "fr"): (
        "Vous avez déjà un compte au portail Avataq",
        "Bonjour,\n\nQuelqu'un, sans doute vous, a voulu créer un compte au portail étudiant "
        "Avataq avec cette adresse courriel. Elle en a déjà un.\n\n"
        "Connectez-vous ici :\n{{ login_url }}\n\n"
        "Mot de passe oublié ? Choisissez-en un nouveau ici :\n{{ reset_url }}\n\n"
        "Si ce n'était pas vous, ignorez ce courriel : rien n'a changé." + _defaults.SIGNATURE_FR,
    ),
}


def create_defaults(apps, schema_editor):
    _defaults.create_templates(apps, TEMPLATES)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_outgoing_email_to_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailtemplate",
            name="code",
            field=models.CharField(
                choices=[
                    ("account_confirmation", "Account confirmation"),
                    ("account_exists", "Signup with an email that has an account"),
                    ("account_invitation", "Invitation to the portal"),
                    ("password_reset", "Password reset"),
                    ("application_received", "Application received"),
                    ("enrollment_approved", "Enrollment approved"),
                    ("enrollment_refused", "Enrollment refused"),
                    ("document_missing", "Documents missing (reminder)"),
                    ("document_refused", "Document refused"),
                    ("sheet_validated", "Computing sheet validated"),
                    ("payment_sent", "Payment sent"),
                    ("claim_refused", "Refused claim (to staff)"),
                ],
                max_length=40,
                verbose_name="email",
            ),
        ),
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
    ]
