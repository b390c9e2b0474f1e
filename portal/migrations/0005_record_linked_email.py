"""The record_linked email: when a portal account is linked to a student record, the
student hears of it at the address the program has on file, if that is another one."""

import importlib

from django.db import migrations, models

_defaults = importlib.import_module("portal.migrations.0002_default_mail_templates")

TEMPLATES = {
    ("record_linked", "en"): (
        "Your student file is now linked to a portal account",
        "Hello {{ first_name }},\n\nYour Avataq student file was just linked to the student "
        "portal account {{ email }}. Whoever signs in with that account can see your file "
        "and your payments.\n\n"
        "If that was you, there is nothing to do. If it was not, write to us right away at "
        "{{ contact_email }}: we will close that access." + _defaults.SIGNATURE_EN,
    ),
    ("record_linked", "fr"): (
        "Votre dossier étudiant est maintenant lié à un compte du portail",
        "Bonjour {{ first_name }},\n\nVotre dossier étudiant Avataq vient d'être lié au "
        "compte du portail étudiant {{ email }}. Quiconque se connecte avec ce compte peut "
        "voir votre dossier et vos paiements.\n\n"
        "Si c'était vous, vous n'avez rien à faire. Sinon, écrivez-nous sans tarder à "
        "{{ contact_email }} : nous fermerons cet accès." + _defaults.SIGNATURE_FR,
    ),
}


def create_defaults(apps, schema_editor):
    _defaults.create_templates(apps, TEMPLATES)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_account_exists_email"),
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
                    ("record_linked", "Student record linked to a portal account"),
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
