"""The default emails, in English and French. Staff edit them in the admin afterwards;
this migration only creates the ones that do not exist yet."""

from django.db import migrations

SIGNATURE_EN = "\n\n— The Avataq sponsorship team"
SIGNATURE_FR = "\n\n— L'équipe des bourses Avataq"

TEMPLATES = {
    ("account_confirmation", "en"): (
        "Confirm your email for the Avataq student portal",
        "Hello,\n\nPlease confirm your email address by opening this link:\n\n{{ confirm_url }}\n\n"
        "The link works for {{ days }} days. If you did not create an account, you can ignore this email."
        + SIGNATURE_EN,
    ),
    ("account_confirmation", "fr"): (
        "Confirmez votre courriel pour le portail étudiant Avataq",
        "Bonjour,\n\nVeuillez confirmer votre adresse courriel en ouvrant ce lien :\n\n{{ confirm_url }}\n\n"
        "Le lien est valide pendant {{ days }} jours. Si vous n'avez pas créé de compte, ignorez ce courriel."
        + SIGNATURE_FR,
    ),
    ("account_invitation", "en"): (
        "Your invitation to the Avataq student portal",
        "Hello {{ first_name }},\n\nThe sponsorship team invites you to the student portal, where you can "
        "apply for a session, send your documents and follow your payments.\n\n"
        "Choose your password here (the link works once, for {{ days }} days):\n\n{{ invite_url }}"
        + SIGNATURE_EN,
    ),
    ("account_invitation", "fr"): (
        "Votre invitation au portail étudiant Avataq",
        "Bonjour {{ first_name }},\n\nL'équipe des bourses vous invite au portail étudiant, où vous pouvez "
        "faire une demande pour une session, envoyer vos documents et suivre vos paiements.\n\n"
        "Choisissez votre mot de passe ici (le lien fonctionne une fois, pendant {{ days }} jours) :\n\n{{ invite_url }}"
        + SIGNATURE_FR,
    ),
    ("password_reset", "en"): (
        "Reset your Avataq portal password",
        "Hello,\n\nSomeone asked to reset the password of your Avataq portal account. To choose a new "
        "password, open this link within {{ hours }} hours:\n\n{{ reset_url }}\n\n"
        "If you did not ask for this, ignore this email: your password stays the same."
        + SIGNATURE_EN,
    ),
    ("password_reset", "fr"): (
        "Réinitialisez votre mot de passe du portail Avataq",
        "Bonjour,\n\nQuelqu'un a demandé à réinitialiser le mot de passe de votre compte du portail Avataq. "
        "Pour choisir un nouveau mot de passe, ouvrez ce lien d'ici {{ hours }} heures :\n\n{{ reset_url }}\n\n"
        "Si vous n'avez rien demandé, ignorez ce courriel : votre mot de passe ne change pas."
        + SIGNATURE_FR,
    ),
    ("application_received", "en"): (
        "We received your application for {{ session }}",
        "Hello {{ first_name }},\n\nWe received your application for session {{ session }}: "
        "{{ program }} at {{ school }}. A counsellor will review it.\n\n"
        "Follow it, and send the documents it needs, in the portal:\n{{ portal_url }}"
        + SIGNATURE_EN,
    ),
    ("application_received", "fr"): (
        "Nous avons reçu votre demande pour {{ session }}",
        "Bonjour {{ first_name }},\n\nNous avons reçu votre demande pour la session {{ session }} : "
        "{{ program }} à {{ school }}. Un conseiller ou une conseillère va l'étudier.\n\n"
        "Suivez-la, et envoyez les documents demandés, dans le portail :\n{{ portal_url }}"
        + SIGNATURE_FR,
    ),
    ("enrollment_approved", "en"): (
        "Your enrollment for {{ session }} is approved",
        "Hello {{ first_name }},\n\nGood news: your enrollment for session {{ session }} "
        "({{ program }} at {{ school }}) is approved.\n\nYour computing sheet and payments will appear "
        "in the portal:\n{{ portal_url }}" + SIGNATURE_EN,
    ),
    ("enrollment_approved", "fr"): (
        "Votre inscription pour {{ session }} est approuvée",
        "Bonjour {{ first_name }},\n\nBonne nouvelle : votre inscription pour la session {{ session }} "
        "({{ program }} à {{ school }}) est approuvée.\n\nVotre feuille de calcul et vos paiements "
        "apparaîtront dans le portail :\n{{ portal_url }}" + SIGNATURE_FR,
    ),
    ("enrollment_refused", "en"): (
        "Your enrollment for {{ session }} was not approved",
        "Hello {{ first_name }},\n\nYour enrollment for session {{ session }} ({{ program }} at "
        "{{ school }}) was not approved, for this reason:\n\n{{ reason }}\n\n"
        "Write to us at {{ contact_email }} if you have questions." + SIGNATURE_EN,
    ),
    ("enrollment_refused", "fr"): (
        "Votre inscription pour {{ session }} n'a pas été approuvée",
        "Bonjour {{ first_name }},\n\nVotre inscription pour la session {{ session }} ({{ program }} à "
        "{{ school }}) n'a pas été approuvée, pour la raison suivante :\n\n{{ reason }}\n\n"
        "Écrivez-nous à {{ contact_email }} si vous avez des questions." + SIGNATURE_FR,
    ),
    ("document_missing", "en"): (
        "Documents still missing for your sponsorship",
        "Hello {{ first_name }},\n\nWe still need these documents before we can pay your allowances:\n\n"
        "{% for document in documents %}- {{ document }}\n{% endfor %}\n"
        "You can send them from your phone in the portal:\n{{ documents_url }}" + SIGNATURE_EN,
    ),
    ("document_missing", "fr"): (
        "Documents encore manquants pour votre parrainage",
        "Bonjour {{ first_name }},\n\nIl nous manque encore ces documents avant de pouvoir verser vos "
        "allocations :\n\n{% for document in documents %}- {{ document }}\n{% endfor %}\n"
        "Vous pouvez les envoyer de votre téléphone dans le portail :\n{{ documents_url }}"
        + SIGNATURE_FR,
    ),
    ("document_refused", "en"): (
        "Please send your {{ document }} again",
        "Hello {{ first_name }},\n\nWe could not accept the document “{{ document }}” for session "
        "{{ session }}, for this reason:\n\n{{ reason }}\n\nPlease send a new one in the portal:\n"
        "{{ documents_url }}" + SIGNATURE_EN,
    ),
    ("document_refused", "fr"): (
        "Veuillez envoyer de nouveau : {{ document }}",
        "Bonjour {{ first_name }},\n\nNous n'avons pas pu accepter le document « {{ document }} » pour la "
        "session {{ session }}, pour la raison suivante :\n\n{{ reason }}\n\nVeuillez en envoyer un "
        "nouveau dans le portail :\n{{ documents_url }}" + SIGNATURE_FR,
    ),
    ("sheet_validated", "en"): (
        "Your computing sheet for {{ session }} is ready",
        "Hello {{ first_name }},\n\nYour computing sheet for session {{ session }} is validated.\n\n"
        "Paid to you: {{ student_total }}\nPaid to your school: {{ school_total }}\n\n"
        "See the details and download it:\n{{ sheets_url }}" + SIGNATURE_EN,
    ),
    ("sheet_validated", "fr"): (
        "Votre feuille de calcul pour {{ session }} est prête",
        "Bonjour {{ first_name }},\n\nVotre feuille de calcul pour la session {{ session }} est validée.\n\n"
        "Versé à vous : {{ student_total }}\nVersé à votre établissement : {{ school_total }}\n\n"
        "Consultez le détail et téléchargez-la :\n{{ sheets_url }}" + SIGNATURE_FR,
    ),
    ("payment_sent", "en"): (
        "Payment sent: {{ amount }}",
        "Hello {{ first_name }},\n\nWe sent you {{ amount }} for {{ period }} (reference {{ reference }}). "
        "It should reach your bank account within a few business days.\n\n"
        "All your payments:\n{{ payments_url }}" + SIGNATURE_EN,
    ),
    ("payment_sent", "fr"): (
        "Paiement envoyé : {{ amount }}",
        "Bonjour {{ first_name }},\n\nNous vous avons envoyé {{ amount }} pour {{ period }} "
        "(référence {{ reference }}). Le montant devrait arriver dans votre compte d'ici quelques jours "
        "ouvrables.\n\nTous vos paiements :\n{{ payments_url }}" + SIGNATURE_FR,
    ),
    ("claim_refused", "en"): (
        "Portal: a student could not claim their record ({{ email }})",
        "A portal account could not be linked to a student record.\n\nAccount: {{ email }}\n"
        "Status number given: {{ status_no }}\nDate of birth given: {{ date_of_birth }}\n"
        "Refused attempts in the last 24 hours: {{ attempts }}\n\n"
        "Please check the record and contact the student. All attempts:\n{{ admin_url }}",
    ),
    ("claim_refused", "fr"): (
        "Portail : un étudiant n'a pas pu réclamer son dossier ({{ email }})",
        "Un compte du portail n'a pas pu être lié à un dossier étudiant.\n\nCompte : {{ email }}\n"
        "Numéro de statut donné : {{ status_no }}\nDate de naissance donnée : {{ date_of_birth }}\n"
        "Tentatives refusées dans les dernières 24 heures : {{ attempts }}\n\n"
        "Veuillez vérifier le dossier et contacter l'étudiant. Toutes les tentatives :\n{{ admin_url }}",
    ),
}


def create_templates(apps, templates):
    """Create the templates that do not exist yet (later migrations use this too)."""
    MailTemplate = apps.get_model("portal", "MailTemplate")
    for (code, language), (subject, body) in templates.items():
        MailTemplate.objects.get_or_create(
            code=code, language=language, defaults={"subject": subject, "body": body}
        )


def create_defaults(apps, schema_editor):
    create_templates(apps, TEMPLATES)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
