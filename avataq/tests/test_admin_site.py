"""The admin's own frame: its title and section names in the reader's language, and the
links to the staff screens outside it (finance, the document explorer), each shown to
exactly those who may open it."""

import pytest

from avataq.tests.factories import StaffUserFactory
from documents.tests.factories import DocumentIndexFactory
from scholarships import services as student_services

pytestmark = pytest.mark.django_db


def admin_index(client, language: str) -> str:
    return client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_admin_reads_in_french_title_and_sections(client):
    client.force_login(StaffUserFactory(is_superuser=True))

    page = admin_index(client, "fr")

    assert "Administration Avataq" in page and "Avataq administration" not in page
    assert "Programme de soutien aux études" in page
    for section in ["Inscriptions", "Bourses d&#x27;études", "Facturation", "Portail étudiant"]:
        assert f">{section}</a>" in page, section
    for english in [">Enrollment</a>", ">Scholarships</a>", ">Billing</a>"]:
        assert english not in page


def test_the_admin_reads_in_english_for_an_english_reader(client):
    client.force_login(StaffUserFactory(is_superuser=True))

    page = admin_index(client, "en")

    assert "Avataq administration" in page and ">Enrollment</a>" in page


def counsellor_with_a_student():
    user = StaffUserFactory(group="Counsellors")
    student_services.student_grant_documents(student=DocumentIndexFactory().student, user=user)
    return user


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: StaffUserFactory(group="Staff"),
        lambda: StaffUserFactory(group="Finance"),
        lambda: StaffUserFactory(group="Ops"),
        lambda: StaffUserFactory(group="Counsellors"),
        counsellor_with_a_student,
        lambda: StaffUserFactory(),
        lambda: StaffUserFactory(is_superuser=True),
    ],
    ids=["staff", "finance", "ops", "counsellor", "counsellor-with-students", "no-group", "su"],
)
def test_the_admin_links_to_each_outside_screen_exactly_for_those_it_lets_in(client, make_user):
    client.force_login(make_user())

    page = admin_index(client, "en")

    for url in ["/finance/", "/documents/"]:
        opens = client.get(url).status_code == 200
        assert (f'<a href="{url}">' in page) == opens, url


def test_the_admin_links_read_in_french(client):
    client.force_login(StaffUserFactory(is_superuser=True))

    page = admin_index(client, "fr")

    assert '<a href="/finance/">Finances</a>' in page
    assert '<a href="/documents/">Explorateur de documents</a>' in page
