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
