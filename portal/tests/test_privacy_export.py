"""Download my data: the export holds exactly the student's data and nobody else's."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from avataq.tests.world import A_NAME, A_STATUS, B_NAME, B_STATUS, build_world
from documents.storage import document_storage
from portal.models import DataRequest
from portal.services import privacy

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


def _export(world, capture) -> tuple[DataRequest, zipfile.ZipFile, str]:
    with capture(execute=True):
        request = privacy.data_request_create(
            student=world.a.student, kind=DataRequest.Kind.ACCESS, by=world.users["Staff"]
        )
    request.refresh_from_db()
    with document_storage().open(request.export_key, "rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    return request, archive, archive.read("data.json").decode()


def test_export_contains_the_students_data_and_documents(world, django_capture_on_commit_callbacks):
    _, archive, text = _export(world, django_capture_on_commit_callbacks)
    data = json.loads(text)
    a = world.a
    assert data["student"]["status_no"] == A_STATUS
    assert data["student"]["last_name"] == A_NAME
    assert [e["id"] for e in data["enrollments"]] == [a.enrollment.pk]
    assert data["enrollments"][0]["checklist"][0]["id"] == a.item.pk
    assert [s["id"] for s in data["computing_sheets"]] == [a.sheet.pk]
    assert data["computing_sheets"][0]["lines"]
    assert a.payment.reference in {p["reference"] for p in data["payments"]}
    assert a.email.subject in {e["subject"] for e in data["emails_sent"]}
    assert {d["s3_key"] for d in data["documents"]} == {
        a.student_document.key,
        a.enrollment_document.key,
    }
    assert [x["document"] for x in data["document_accesses"]] == [a.index.s3_key]
    files = {name for name in archive.namelist() if name.startswith("documents/")}
    assert files == {
        f"documents/{a.student_document.key}",
        f"documents/{a.enrollment_document.key}",
    }


def test_export_holds_nothing_of_another_student(world, django_capture_on_commit_callbacks):
    _, archive, text = _export(world, django_capture_on_commit_callbacks)
    assert B_STATUS not in text
    assert B_NAME not in text
    assert not [name for name in archive.namelist() if B_STATUS in name]


def test_export_never_holds_an_encrypted_account_number(world, django_capture_on_commit_callbacks):
    # B has bank details in the world: export B.
    with django_capture_on_commit_callbacks(execute=True):
        request = privacy.data_request_create(
            student=world.b.student, kind=DataRequest.Kind.ACCESS, by=None
        )
    request.refresh_from_db()
    with document_storage().open(request.export_key, "rb") as stored:
        data = json.loads(zipfile.ZipFile(io.BytesIO(stored.read())).read("data.json"))
    assert data["bank_details"]["account"].endswith("789")
    assert "123456789" not in json.dumps(data)
    assert "account_ciphertext" not in data["bank_details"]


def test_export_is_stored_under_its_requests_deterministic_key(
    world, django_capture_on_commit_callbacks
):
    request, _, _ = _export(world, django_capture_on_commit_callbacks)
    assert request.export_key == f"_exports/{A_STATUS}/request-{request.pk}.zip"
    privacy.data_export_build(request_id=request.pk)
    request.refresh_from_db()
    assert request.export_key == f"_exports/{A_STATUS}/request-{request.pk}.zip"


def test_portal_download_my_data_builds_the_export_and_answers_the_request(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.a.student.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:export_request"))
    assert response.status_code == 302
    request = DataRequest.objects.get(student=world.a.student, channel="portal")
    assert request.status == DataRequest.Status.ANSWERED
    assert request.export_key


def test_portal_export_link_is_a_60_second_redirect(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.a.student.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:export_request"))
    request = DataRequest.objects.get(student=world.a.student, channel="portal")
    response = client.get(reverse("portal:export_download", args=[request.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/documents/local/")  # a signed 60-second link


def test_another_students_export_answers_404(world, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = privacy.data_request_create(
            student=world.b.student, kind=DataRequest.Kind.ACCESS, by=None
        )
    client.force_login(world.a.student.user)
    assert client.get(reverse("portal:export_download", args=[theirs.pk])).status_code == 404


def test_written_request_is_due_30_days_after_it_was_received(world):
    import datetime as dt

    request = privacy.data_request_create(
        student=world.a.student,
        kind=DataRequest.Kind.CORRECTION,
        by=world.users["Staff"],
        received_on=dt.date(2025, 3, 1),
    )
    assert request.due_on == dt.date(2025, 3, 31)
    assert request.status == DataRequest.Status.OPEN


def test_request_received_in_the_future_is_refused_and_nothing_is_kept(world):
    import datetime as dt

    from django.utils import timezone

    before = DataRequest.objects.count()
    with pytest.raises(privacy.PrivacyError, match="future"):
        privacy.data_request_create(
            student=world.a.student,
            kind=DataRequest.Kind.ACCESS,
            by=None,
            received_on=timezone.localdate() + dt.timedelta(days=2),
        )
    assert DataRequest.objects.count() == before
