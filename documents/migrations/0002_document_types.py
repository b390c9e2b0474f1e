from django.db import migrations

TYPES = [
    # code, English, French, applies to
    ("identity", "Identity document", "Pièce d'identité", "student"),
    ("beneficiary-card", "Beneficiary card", "Carte de bénéficiaire", "student"),
    ("direct-deposit-form", "Direct deposit form", "Formulaire de dépôt direct", "student"),
    ("proof-of-enrollment", "Proof of enrollment", "Preuve d'inscription", "enrollment"),
    ("transcript", "Transcript", "Relevé de notes", "enrollment"),
    ("schedule", "Schedule", "Horaire", "enrollment"),
    ("acceptance-letter", "Acceptance letter", "Lettre d'admission", "enrollment"),
    ("school-invoice", "School invoice", "Facture de l'établissement", "invoice"),
]


def create_types(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for code, name, name_fr, applies_to in TYPES:
        DocumentType.objects.update_or_create(
            code=code, defaults={"name": name, "name_fr": name_fr, "applies_to": applies_to}
        )


def remove_types(apps, schema_editor):
    apps.get_model("documents", "DocumentType").objects.filter(
        code__in=[t[0] for t in TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_types)]
