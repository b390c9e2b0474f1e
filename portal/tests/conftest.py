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
    from avataq.tests.browser import data_migration_rows as restore

    restore()
