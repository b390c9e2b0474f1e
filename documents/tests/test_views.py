"""Who may open the explorer and download which document (the contract's cases)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.storage import storages
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from avataq.tests.factories import StaffUserFactory, UserFactory
from documents.models import DocumentAccess, DocumentIndex
from documents.storage import unsign_local_download
from documents.tests.factories import PDF, DocumentIndexFactory, upload
from scholarships import services as student_services
from scholarships.models import StudentGroupObjectPermission
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> DocumentIndex:
    return stored_document()  # a download checks the storage holds the object


def counsellor_of(*students):
    user = StaffUserFactory(group="Counsellors")
    for student in students:
        student_services.student_grant_documents(student=student, user=user)
    return user


def download(client, user, document_id):
    if user is not None:
        client.force_login(user)
    return client.get(f"/documents/{document_id}/download/")


def assert_sent_to_the_document(response, document: DocumentIndex) -> None:
    """A 302 to ``document``'s short-lived download link (the login page answers 302 too)."""
    assert response.status_code == 302
    target = resolve(urlsplit(response["Location"]).path)
    assert target.view_name == "documents:local-download"
    assert unsign_local_download(target.kwargs["token"])["k"] == document.s3_key


def assert_sent_to_log_in(response, path: str) -> None:
    """A 302 to the login page, which brings the visitor back to ``path``."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"] == [path]


# --- download ----------------------------------------------------------------------------
def test_staff_with_the_global_permission_get_a_302_to_a_short_lived_link(client, document):
    response = download(client, StaffUserFactory(group="Staff"), document.pk)

    assert_sent_to_the_document(response, document)
    assert "no-cache" in response["Cache-Control"]


def test_each_download_is_recorded_with_who_which_when_and_ip(client, document):
    staff = StaffUserFactory(group="Staff")

    download(client, staff, document.pk)

    access = DocumentAccess.objects.get()
    assert (access.user, access.document, access.ip_address) == (staff, document, "127.0.0.1")


def test_a_counsellor_downloads_the_documents_of_their_own_students(client, document):
    response = download(client, counsellor_of(document.student), document.pk)

    assert_sent_to_the_document(response, document)


def test_a_counsellor_gets_404_for_another_students_document_as_for_an_unknown_id(client, document):
    counsellor = counsellor_of(StudentFactory())

    other = download(client, counsellor, document.pk)
    unknown = download(client, counsellor, 999_999)

    assert other.status_code == unknown.status_code == 404
    assert other.content == unknown.content


def test_a_group_object_permission_opens_that_students_documents(client, document):
    group = Group.objects.create(name="Kuujjuaq office")
    StudentGroupObjectPermission.objects.create(
        group=group,
        content_object=document.student,
        permission=student_services.student_documents_permission(),
    )
    user = StaffUserFactory()
    user.groups.add(group)

    assert_sent_to_the_document(download(client, user, document.pk), document)


def test_a_student_downloads_their_own_documents(client, document):
    owner = UserFactory()
    document.student.user = owner
    document.student.save()

    assert_sent_to_the_document(download(client, owner, document.pk), document)


def test_a_student_gets_404_for_someone_elses_document(client, document):
    other_student_user = UserFactory()
    StudentFactory(user=other_student_user)

    assert download(client, other_student_user, document.pk).status_code == 404


def test_a_signed_in_user_for_whom_documents_are_closed_gets_403(client, document):
    assert download(client, UserFactory(), document.pk).status_code == 403
    assert download(client, StaffUserFactory(group="Counsellors"), document.pk).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, document):
    response = download(client, None, document.pk)

    assert_sent_to_log_in(response, f"/documents/{document.pk}/download/")


def test_no_link_is_minted_for_a_refused_request(client, document):
    download(client, UserFactory(), document.pk)
    download(client, counsellor_of(StudentFactory()), document.pk)
    download(client, None, document.pk)

    assert not DocumentAccess.objects.exists()


def test_an_inactive_staff_user_is_refused(client, document):
    staff = StaffUserFactory(group="Staff")
    staff.is_active = False
    staff.save()
    client.force_login(staff)

    response = client.get(f"/documents/{document.pk}/download/")

    if response.status_code == 302:  # logged out by the auth middleware
        assert_sent_to_log_in(response, f"/documents/{document.pk}/download/")
    else:  # or refused
        assert response.status_code == 403
    assert not DocumentAccess.objects.exists()


def test_removing_a_counsellor_closes_that_students_documents(client, document):
    counsellor = StaffUserFactory(group="Counsellors")
    student = document.student
    student.counsellor = counsellor
    student_services.student_save(student=student, by=None)
    assert_sent_to_the_document(download(client, counsellor, document.pk), document)

    student.counsellor = None
    student_services.student_save(student=student, by=None)

    assert download(client, counsellor, document.pk).status_code == 403


# --- the local signed link (embedded default) -----------------------------------------
def stored_document(**kwargs) -> DocumentIndex:
    document = DocumentIndexFactory(**kwargs)
    storages["documents"].save_exact(document.s3_key, upload(content=PDF))
    return document


def test_the_local_link_streams_the_file_as_an_attachment(client):
    document = stored_document()
    link = download(client, StaffUserFactory(group="Staff"), document.pk)["Location"]

    response = client.get(link)

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="transcript.pdf"'


def test_the_local_link_is_refused_once_expired(client, settings):
    document = stored_document()
    settings.DOCUMENT_URL_TTL = 0
    link = download(client, StaffUserFactory(group="Staff"), document.pk)["Location"]
    import time

    time.sleep(1.1)

    assert client.get(link).status_code == 403


def test_a_tampered_local_link_is_refused(client):
    document = stored_document()
    link = download(client, StaffUserFactory(group="Staff"), document.pk)["Location"]

    assert client.get(link[:-3] + "abc/").status_code == 403


# --- explorer ------------------------------------------------------------------------------
def test_the_explorer_lists_every_document_for_the_global_permission(client):
    DocumentIndexFactory.create_batch(3)
    client.force_login(StaffUserFactory(group="Staff"))

    response = client.get("/documents/")

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3


def test_the_explorer_shows_a_counsellor_only_their_students(client):
    mine, theirs = DocumentIndexFactory(), DocumentIndexFactory()
    client.force_login(counsellor_of(mine.student))

    response = client.get("/documents/")

    assert list(response.context["page"].object_list) == [mine]
    assert theirs.s3_key.encode() not in response.content


def test_the_explorer_is_closed_to_students_and_plain_users(client):
    owner = UserFactory()
    StudentFactory(user=owner)

    assert download(client, owner, 1).status_code == 404  # the download view: 404 for them
    client.force_login(owner)
    assert client.get("/documents/").status_code == 403
    client.force_login(UserFactory())
    assert client.get("/documents/").status_code == 403


def test_the_explorer_sends_anonymous_visitors_to_log_in(client):
    assert_sent_to_log_in(client.get("/documents/"), "/documents/")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"scholar_year": "2024-2025"}, ["old"]),
        ({"category": "identity"}, ["identity"]),
        ({"student": "424242"}, ["mine"]),
        ({"q": "annanack"}, ["mine"]),
        ({"q": "scan-77"}, ["identity"]),
    ],
)
def test_the_explorer_filters(client, query, expected):
    from scholarships.tests.factories import ScholarYearFactory

    ScholarYearFactory(first=2024)
    ScholarYearFactory(first=2025)
    rows = {
        "old": DocumentIndexFactory(scholar_year="2024-2025"),
        "identity": DocumentIndexFactory(category="identity", filename="scan-77.pdf"),
        "mine": DocumentIndexFactory(
            student=StudentFactory(status_no="424242", last_name="Annanack")
        ),
    }
    client.force_login(StaffUserFactory(group="Staff"))

    response = client.get("/documents/", query)

    names = {row.pk: name for name, row in rows.items()}
    assert [names[row.pk] for row in response.context["page"].object_list] == expected


def test_the_explorer_reads_in_french_with_types_named_in_french(client):
    DocumentIndexFactory(category="proof-of-enrollment")
    client.force_login(StaffUserFactory(group="Staff"))

    page = client.get("/documents/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<th>Étudiant</th>" in page and ">Télécharger</a>" in page
    assert "<td>Preuve d&#x27;inscription</td>" in page
    assert "<td>proof-of-enrollment</td>" not in page
    assert ">Preuve d&#x27;inscription</option>" in page  # the category filter too
    assert "Download" not in page and "Indexed" not in page


def test_the_explorer_names_types_in_english_for_an_english_reader(client):
    DocumentIndexFactory(category="proof-of-enrollment")
    client.force_login(StaffUserFactory(group="Staff"))

    page = client.get("/documents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<td>Proof of enrollment</td>" in page


def explorer_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/documents/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["global permission", "counsellor"])
def test_the_explorer_query_count_is_the_same_for_10_and_1000_rows(client, who):
    students = StudentFactory.create_batch(5)
    user = (
        StaffUserFactory(group="Staff") if who == "global permission" else counsellor_of(*students)
    )
    client.force_login(user)
    for i in range(10):
        DocumentIndexFactory(student=students[i % 5])
    small = explorer_queries(client)

    DocumentIndex.objects.bulk_create(
        [
            DocumentIndex(
                student=students[i % 5],
                student_reference=students[i % 5].status_no,
                scholar_year="2025-2026",
                category="transcript",
                s3_key=f"{students[i % 5].status_no}/2025-2026/bulk-{i}.pdf",
                filename="bulk.pdf",
                content_type="application/pdf",
                size=10,
                source_model="api",
            )
            for i in range(990)
        ]
    )
    large = explorer_queries(client)

    assert DocumentIndex.objects.count() == 1000
    assert small == large


def test_a_student_whose_file_is_closed_downloads_nothing(client, document):
    owner = UserFactory()
    document.student.user, document.student.is_active = owner, False
    document.student.save()

    assert download(client, owner, document.pk).status_code == 404


def test_a_student_gets_404_for_their_own_document_of_a_type_not_meant_for_students(client):
    from documents.models import DocumentType

    DocumentType.objects.create(
        code="counsellor-note",
        name="Counsellor's note",
        applies_to="student",
        shown_to_student=False,
    )
    owner = UserFactory()
    note = DocumentIndexFactory(category="counsellor-note", student__user=owner)
    shown = stored_document(category="transcript", student=note.student)

    assert download(client, owner, note.pk).status_code == 404
    assert_sent_to_the_document(download(client, owner, shown.pk), shown)
