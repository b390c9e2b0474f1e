"""The /my/ pages: the owner sees their file; another student gets 404 for anything of it."""

import datetime as dt
import io
import urllib.request

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import ComputingSheet, ScheduledPayment
from billing.tests.factories_payments import validated_living_payments
from documents.models import DocumentAccess, DocumentType
from documents.tests.factories import EXE, PDF, upload
from enrollment import checklist
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.models import OutgoingEmail
from portal.tests.factories import AccountFactory, upload_outcome
from scholarships.tests.factories import ProgramFactory, ScholarYearFactory, SessionFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PAGES = ["dashboard", "enrollments", "apply", "documents", "sheets", "payments", "direct_deposit"]


@pytest.fixture
def required():
    for code in ["proof-of-enrollment", "schedule"]:
        RequiredDocument.objects.create(document_type=DocumentType.objects.get(code=code))


def submitted_enrollment(student, **kwargs):
    enrollment = EnrollmentFactory(student=student, status="submitted", **kwargs)
    checklist.checklist_sync(enrollment=enrollment)
    return enrollment


def signed_in_payee(client, language: str = "en") -> list[ScheduledPayment]:
    """Validated living-allowance payments of a student, signed in with their language."""
    payments = validated_living_payments()
    student = payments[0].enrollment.student
    student.user, student.language = AccountFactory().user, language
    student.save()
    client.force_login(student.user)
    client.cookies["django_language"] = language  # as signing in sets it
    return payments


@pytest.mark.parametrize("page", PAGES)
def test_every_page_asks_a_visitor_to_sign_in(client, page):
    response = client.get(reverse(f"portal:{page}"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_for_the_student_and_stays_light(student_client, student, required, page):
    grow(student, 2010, 9)  # nine years of enrollments, checklists and documents

    response = student_client.get(reverse(f"portal:{page}"))

    assert response.status_code == 200
    assert len(response.content) < 100_000


def test_the_documents_page_states_the_upload_limit_in_force(student_client, settings):
    settings.DOCUMENT_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

    html = student_client.get(reverse("portal:documents")).content.decode()

    assert "up to 10 MB" in html


@pytest.mark.parametrize("page", PAGES)
def test_a_student_whose_file_staff_closed_is_told_so_on_every_page(student_client, student, page):
    student.is_active = False
    student.save()

    response = student_client.get(reverse(f"portal:{page}"))

    assert response.status_code == 403
    assert "Your file is closed" in response.content.decode()


def test_a_closed_file_takes_no_upload(student_client, student, required):
    enrollment = submitted_enrollment(student)
    item = enrollment.checklist.first()
    student.is_active = False
    student.save()

    response = student_client.post(
        reverse("portal:document_upload", args=[item.pk]), {"file": upload("a.pdf", PDF)}
    )

    assert response.status_code == 403
    assert not EnrollmentDocument.objects.exists()


def test_a_staff_member_without_a_student_record_gets_404(client):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory())

    assert client.get(reverse("portal:dashboard")).status_code == 404


def test_the_dashboard_shows_the_enrollment_missing_documents_and_next_payments(
    client, monkeypatch
):
    payments = signed_in_payee(client)
    enrollment = payments[0].enrollment
    RequiredDocument.objects.create(document_type=DocumentType.objects.get(code="schedule"))
    checklist.checklist_sync(enrollment=enrollment)
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2025, 10, 15))  # mid-session

    board = client.get(reverse("portal:dashboard")).context["board"]

    assert board.current == enrollment
    assert [item.document_type.code for item in board.missing] == ["schedule"]
    due = sorted(
        p.due_date
        for p in ScheduledPayment.objects.filter(
            payee="student", due_date__gte=dt.date(2025, 10, 15)
        )
    )
    assert [p.due_date for p in board.payments] == due[:3]


def test_another_students_items_and_sheets_answer_404(student_client, other_student, required):
    theirs = submitted_enrollment(other_student)
    item = ChecklistItem.objects.filter(enrollment=theirs).first()
    sheet_enrollment = EnrollmentFactory(
        student=other_student,
        status="approved",
        session=SessionFactory(scholar_year=ScholarYearFactory(first=2030)),
    )
    sheet = ComputingSheet.objects.create(enrollment=sheet_enrollment, status="validated")

    assert (
        student_client.get(reverse("portal:document_download", args=[item.pk])).status_code == 404
    )
    upload_url = reverse("portal:document_upload", args=[item.pk])
    assert student_client.post(upload_url, {"file": upload()}).status_code == 404
    assert student_client.get(reverse("portal:sheet_pdf", args=[sheet.pk])).status_code == 404
    item.refresh_from_db()
    assert item.status == "missing"


def test_unknown_ids_answer_404_the_same_way(student_client):
    assert student_client.get(reverse("portal:document_download", args=[999999])).status_code == 404
    assert student_client.get(reverse("portal:sheet_pdf", args=[999999])).status_code == 404


def test_the_sheets_page_lists_only_validated_sheets(student_client, student):
    draft = ComputingSheet.objects.create(
        enrollment=EnrollmentFactory(student=student, status="approved"), status="draft"
    )

    response = student_client.get(reverse("portal:sheets"))

    assert list(response.context["sheets"]) == []
    assert student_client.get(reverse("portal:sheet_pdf", args=[draft.pk])).status_code == 404


def test_a_validated_sheet_downloads_as_a_pdf_in_the_students_language(client):
    from pypdf import PdfReader

    signed_in_payee(client, "fr")
    sheet = ComputingSheet.objects.get(status="validated")

    response = client.get(reverse("portal:sheet_pdf", args=[sheet.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Feuille de calcul" in text
    assert "\u00a0$" in text or " $" in text


def test_the_payments_page_shows_each_payment_and_its_status(client):
    payments = signed_in_payee(client)
    payments[0].status, payments[0].reconciled_amount = "reconciled", payments[0].amount
    payments[0].save()

    html = client.get(reverse("portal:payments")).content.decode()

    assert payments[0].reference in html and "Reconciled" in html


def test_each_payment_says_what_it_is_for_in_the_students_language(client):
    payments = signed_in_payee(client, "fr")

    html = client.get(reverse("portal:payments")).content.decode()

    assert {p.code for p in payments} >= {"LIVING"}
    assert "Allocation de subsistance" in html
    assert "Versé à" in html


# --- apply -------------------------------------------------------------------------------
@pytest.fixture
def open_session():
    year = ScholarYearFactory(first=TODAY.year)
    return SessionFactory(
        scholar_year=year,
        term="winter",
        start_date=TODAY + dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=150),
        application_deadline=TODAY + dt.timedelta(days=10),
    )


def test_applying_creates_a_submitted_enrollment_and_its_checklist(
    student_client, student, open_session, required
):
    program = ProgramFactory()
    step_two = student_client.get(
        reverse("portal:apply"), {"session": open_session.pk, "school": program.school.pk}
    )
    assert program.name in step_two.content.decode()

    response = student_client.post(
        reverse("portal:apply"),
        {
            "session": open_session.pk,
            "school": program.school.pk,
            "program": program.pk,
            "load": "full_time",
            "residence": "off_campus",
        },
    )

    assert response.url == reverse("portal:documents")
    enrollment = Enrollment.objects.get(student=student)
    assert enrollment.status == "submitted" and enrollment.program == program
    assert enrollment.checklist.count() == 2
    assert OutgoingEmail.objects.filter(template_code="application_received").exists()


def test_a_program_of_another_school_is_refused(student_client, open_session):
    program, elsewhere = ProgramFactory(), ProgramFactory()

    response = student_client.post(
        reverse("portal:apply"),
        {
            "session": open_session.pk,
            "school": program.school.pk,
            "program": elsewhere.pk,
            "load": "full_time",
            "residence": "off_campus",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_a_session_past_its_deadline_or_already_applied_for_is_not_offered(
    student_client, student, open_session
):
    closed = SessionFactory(
        scholar_year=open_session.scholar_year,
        term="summer",
        start_date=TODAY + dt.timedelta(days=180),
        end_date=TODAY + dt.timedelta(days=230),
        application_deadline=TODAY - dt.timedelta(days=1),
    )
    response = student_client.get(reverse("portal:apply"))
    assert list(response.context["start"].fields["session"].queryset) == [open_session]
    assert closed.pk

    EnrollmentFactory(student=student, session=open_session, status="submitted")
    response = student_client.get(reverse("portal:apply"))
    assert list(response.context["start"].fields["session"].queryset) == []


# --- documents -------------------------------------------------------------------------------
def upload_to(client, item, file):
    return client.post(reverse("portal:document_upload", args=[item.pk]), {"file": file})


def test_an_uploaded_pdf_is_received_shown_and_downloadable(
    student_client, student, required, django_capture_on_commit_callbacks
):
    enrollment = submitted_enrollment(student)
    item = ChecklistItem.objects.get(enrollment=enrollment, document_type__code="schedule")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload_to(student_client, item, upload("mon horaire.pdf"))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "received"
    assert item.document.key.startswith(f"12345/{enrollment.session.scholar_year.code}/schedule")
    html = student_client.get(reverse("portal:documents")).content.decode()
    assert "mon horaire.pdf" in html and "Received" in html

    download = student_client.get(reverse("portal:document_download", args=[item.pk]))
    assert download.status_code == 302
    served = student_client.get(download.url)
    assert b"".join(served.streaming_content) == PDF
    assert DocumentAccess.objects.filter(user=student.user).count() == 1


def test_an_unsafe_file_is_refused_with_the_reason(student_client, student, required):
    item = ChecklistItem.objects.filter(enrollment=submitted_enrollment(student)).first()

    response = upload_to(student_client, item, upload("cv.pdf", EXE))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "missing"
    page = student_client.get(reverse("portal:documents")).content.decode()
    assert "was not sent" in page


def test_a_refused_document_shows_its_reason(student_client, student, required):
    from avataq.tests.factories import StaffUserFactory

    enrollment = submitted_enrollment(student)
    item = ChecklistItem.objects.filter(enrollment=enrollment).first()
    upload_to(student_client, item, upload())
    checklist.checklist_item_refuse(
        item=ChecklistItem.objects.get(pk=item.pk), by=StaffUserFactory(), reason="Blurry photo."
    )

    html = student_client.get(reverse("portal:documents")).content.decode()

    assert "Refused" in html and "Blurry photo." in html


def test_an_upload_and_download_go_through_the_s3_test_server(
    s3, student_client, student, required, django_capture_on_commit_callbacks
):
    item = ChecklistItem.objects.filter(enrollment=submitted_enrollment(student)).first()
    with django_capture_on_commit_callbacks(execute=True):
        upload_to(student_client, item, upload("proof.pdf"))
    item.refresh_from_db()
    assert item.document.key in s3.keys(prefix="12345/")

    response = student_client.get(reverse("portal:document_download", args=[item.pk]))

    assert response.url.startswith(s3.endpoint) and "X-Amz-Expires=60" in response.url
    with urllib.request.urlopen(response.url, timeout=10) as fetched:  # noqa: S310
        assert fetched.read() == PDF


# --- constant query counts -----------------------------------------------------------------
def grow(student, first_year: int, count: int) -> None:
    """``count`` more enrollments, one a year, each with its checklist and a document."""
    for i in range(count):
        session = SessionFactory(scholar_year=ScholarYearFactory(first=first_year + i))
        enrollment = submitted_enrollment(student, session=session)
        item = enrollment.checklist.first()
        document = EnrollmentDocument(enrollment=enrollment, document_type=item.document_type)
        checklist.enrollment_document_add(document=document, upload=upload(), by=None)


def queries(client, page) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(f"portal:{page}")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["dashboard", "documents", "enrollments", "payments"])
def test_query_counts_stay_the_same_as_a_students_history_grows(
    student_client, student, required, page
):
    grow(student, 2010, 1)
    small = queries(student_client, page)

    grow(student, 2011, 8)
    large = queries(student_client, page)

    assert small == large <= 8


def test_a_completed_enrollment_takes_no_upload_and_offers_none(student_client, student, required):
    enrollment = submitted_enrollment(student)
    Enrollment.objects.filter(pk=enrollment.pk).update(status="completed")
    item = enrollment.checklist.first()

    page = student_client.get(reverse("portal:documents")).content.decode()
    response = upload_to(student_client, item, upload("late.pdf"))

    assert reverse("portal:document_upload", args=[item.pk]) not in page
    assert response.status_code == 302
    assert not EnrollmentDocument.objects.exists()
    assert "closed" in upload_outcome(response)


def test_one_checklist_item_takes_at_most_five_files(student_client, student, required):
    from portal.services.student import VERSIONS_PER_ITEM

    item = submitted_enrollment(student).checklist.first()
    for n in range(VERSIONS_PER_ITEM + 1):
        response = upload_to(student_client, item, upload(f"v{n}.pdf"))

    assert EnrollmentDocument.objects.count() == VERSIONS_PER_ITEM
    assert "already sent this document 5 times" in upload_outcome(response)


def test_a_student_sends_at_most_twenty_files_a_day(student_client, student, settings):
    from portal.services.student import UPLOADS_PER_DAY

    codes = ["proof-of-enrollment", "schedule", "transcript", "acceptance-letter"]
    for code in codes:
        RequiredDocument.objects.create(document_type=DocumentType.objects.get(code=code))
    sessions = [SessionFactory(scholar_year=ScholarYearFactory(first=y)) for y in (2025, 2026)]
    items = [
        item
        for session in sessions
        for item in submitted_enrollment(student, session=session).checklist.all()
    ]
    sent = [
        upload_to(student_client, items[n % len(items)], upload(f"{n}.pdf"))
        for n in range(UPLOADS_PER_DAY + 1)
    ]

    assert EnrollmentDocument.objects.count() == UPLOADS_PER_DAY
    assert "20 files today" in upload_outcome(sent[-1])


# --- a student on a phone ------------------------------------------------------------------
def item_block(page: str, item) -> str:
    """The item's own block of the documents page (where the upload redirect opens)."""
    start = page.index(f'<li id="item-{item.pk}">')
    return page[start : page.index("</li>", start)]


def test_an_upload_refusal_is_shown_inside_the_items_own_block(student_client, student, required):
    items = list(ChecklistItem.objects.filter(enrollment=submitted_enrollment(student)))

    response = upload_to(student_client, items[0], upload("cv.pdf", EXE))
    page = student_client.get(reverse("portal:documents")).content.decode()

    assert response.url.endswith(f"#item-{items[0].pk}")
    assert "was not sent" in item_block(page, items[0])
    assert "was not sent" not in item_block(page, items[1])
    assert page.count("was not sent") == 1  # not at the top of the page as well


def test_an_upload_refusal_reads_in_the_students_language(student_client, student, required):
    student.language = "fr"
    student.save()
    student_client.cookies["django_language"] = "fr"
    item = ChecklistItem.objects.filter(enrollment=submitted_enrollment(student)).first()

    upload_to(student_client, item, upload("cv.pdf", EXE))
    page = student_client.get(reverse("portal:documents")).content.decode()

    block = " ".join(item_block(page, item).replace("\N{NO-BREAK SPACE}", " ").split())
    assert "n'a pas été envoyé : son contenu n'est pas celui d'un fichier PDF" in block.replace(
        "&#x27;", "'"
    )


def session_of(year: int, term: str = "fall"):
    months = {"fall": (8, 25, 12, 20), "winter": (1, 6, 5, 5)}[term]
    start = dt.date(year, months[0], months[1])
    return SessionFactory(
        scholar_year=ScholarYearFactory(first=year if term == "fall" else year - 1),
        term=term,
        start_date=start,
        end_date=dt.date(year, months[2], months[3]),
    )


def test_the_current_enrollment_is_the_one_in_progress_not_a_completed_or_past_one(
    student_client, student, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 10, 1))
    EnrollmentFactory(student=student, session=session_of(2025), status="completed")
    EnrollmentFactory(student=student, session=session_of(2026, "winter"), status="approved")
    now = EnrollmentFactory(student=student, session=session_of(2026), status="active")

    board = student_client.get(reverse("portal:dashboard")).context["board"]

    assert (board.current, board.in_progress, board.upcoming) == (now, True, None)


def test_between_sessions_the_current_enrollment_is_the_next_one(
    student_client, student, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 6, 1))
    EnrollmentFactory(student=student, session=session_of(2026, "winter"), status="completed")
    EnrollmentFactory(student=student, session=session_of(2025), status="approved")  # ended
    following = EnrollmentFactory(student=student, session=session_of(2026), status="submitted")

    board = student_client.get(reverse("portal:dashboard")).context["board"]

    assert (board.current, board.in_progress) == (following, False)


def test_a_session_completed_last_year_is_not_the_current_enrollment(
    student_client, student, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 10, 1))
    EnrollmentFactory(student=student, session=session_of(2025), status="completed")

    response = student_client.get(reverse("portal:dashboard"))

    assert response.context["board"].current is None
    assert "You have no enrollment under way or to come." in response.content.decode()


def test_nothing_is_missing_is_not_said_of_an_enrollment_without_a_checklist(
    student_client, student, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 9, 1))
    EnrollmentFactory(student=student, session=session_of(2026), status="approved")

    page = student_client.get(reverse("portal:dashboard")).content.decode()

    assert "Nothing is missing." not in page
    assert "No document has been asked for this enrollment yet." in page


def test_nothing_is_missing_is_said_once_every_item_of_the_checklist_is_in(
    student_client, student, required, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 9, 1))
    enrollment = submitted_enrollment(student, session=session_of(2026))
    for item in enrollment.checklist.all():
        with django_capture_on_commit_callbacks(execute=True):
            upload_to(student_client, item, upload())

    page = student_client.get(reverse("portal:dashboard")).content.decode()

    assert "Nothing is missing." in page


@pytest.mark.parametrize("language, name", [("en", "Fall 2026"), ("fr", "Automne 2026")])
def test_the_dashboard_names_the_session_not_its_code(
    student_client, student, monkeypatch, language, name
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 9, 1))
    student_client.cookies["django_language"] = language
    EnrollmentFactory(student=student, session=session_of(2026), status="approved")

    page = student_client.get(reverse("portal:dashboard")).content.decode()

    assert f"<strong>{name}</strong>" in page
    assert "2026F" not in page


def test_a_sheets_pdf_is_named_in_the_students_language(client):
    signed_in_payee(client, "fr")
    sheet = ComputingSheet.objects.get(status="validated")

    response = client.get(reverse("portal:sheet_pdf", args=[sheet.pk]))

    session = str(sheet.enrollment.session.start_date.year)
    assert response["Content-Disposition"] == (
        f'attachment; filename="feuille-de-calcul-automne-{session}-r1.pdf"'
    )
