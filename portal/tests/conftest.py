import pytest

from portal.tests.factories import portal_student


@pytest.fixture
def student(db):
    return portal_student(first_name="Annie", status_no="12345")


@pytest.fixture
def student_client(client, student):
    client.force_login(student.user)
    return client


@pytest.fixture
def other_student(db):
    return portal_student(first_name="Lucassie", status_no="54321")


@pytest.fixture
def data_migration_rows():
    """The rows data migrations made (document types, mail templates), for a test with
    committed transactions: one that ran before it flushed them."""
    import importlib

    from django.apps import apps

    from documents.models import DocumentType

    types = importlib.import_module("documents.migrations.0002_document_types").TYPES
    for code, name, name_fr, applies_to in types:
        DocumentType.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_fr": name_fr, "applies_to": applies_to,
                      "shown_to_student": applies_to != "invoice"},
        )  # fmt: skip
    for module in ["portal.migrations.0002_default_mail_templates",
                   "portal.migrations.0004_account_exists_email",
                   "portal.migrations.0005_record_linked_email"]:  # fmt: skip
        importlib.import_module(module).create_defaults(apps, None)
