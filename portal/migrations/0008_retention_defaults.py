"""The retention schedule's defaults (staff change them in the admin)."""

from django.db import migrations

DEFAULTS = [
    (
        "documents",
        7,
        "Identity documents, proofs and the record: 7 years after the last "
        "enrollment ends (tax and audit period of the program's accounts).",
    ),
    ("never_enrolled", 2, "An applicant never enrolled: 2 years after their last activity."),
    ("bank_details", 1, "Bank details: 1 year after the last payment (returns and recalls)."),
    ("logs", 2, "Access logs and sent emails: 2 years."),
]


def create(apps, schema_editor):
    RetentionRule = apps.get_model("portal", "RetentionRule")
    for kind, years, notes in DEFAULTS:
        RetentionRule.objects.get_or_create(kind=kind, defaults={"years": years, "notes": notes})


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_privacy")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
