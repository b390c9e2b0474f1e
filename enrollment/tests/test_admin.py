import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory
from enrollment.models import ChecklistItem, Enrollment
from enrollment.tests.factories import EnrollmentFactory
from scholarships.tests.factories import ProgramFactory, SessionFactory, StudentFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/enrollment/enrollment/"


@pytest.fixture
def staff(client):
    user = StaffUserFactory(group="Staff")
    client.force_login(user)
    return user


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def spread_enrollments(count: int) -> None:
    sessions = [SessionFactory(term=t) for t in ("fall",)] + [
        SessionFactory(term="winter", start_date="2026-01-06", end_date="2026-05-05")
    ]
    programs = [ProgramFactory() for _ in range(3)]
    for i in range(count):
        program = programs[i % 3]
        EnrollmentFactory(session=sessions[i % 2], program=program, school=program.school)


def test_enrollment_changelist_query_count_does_not_grow_with_rows(client, staff):
    spread_enrollments(5)
    small = queries_for(client, CHANGELIST)

    spread_enrollments(45)
    large = queries_for(client, CHANGELIST)

    assert Enrollment.objects.count() == 50
    assert small == large


def test_enrollment_changelist_filters_by_status_and_school(client, staff):
    kept = EnrollmentFactory(status="submitted")
    EnrollmentFactory(status="draft", student__last_name="Hidden")

    response = client.get(
        CHANGELIST, {"status__exact": "submitted", "school__id__exact": kept.school_id}
    )

    assert kept.student.last_name.encode() in response.content
    assert b"Hidden" not in response.content


def test_student_page_lists_their_enrollments(client, staff):
    enrollment = EnrollmentFactory()

    response = client.get(f"/admin/scholarships/student/{enrollment.student_id}/change/")

    assert response.status_code == 200
    assert enrollment.program.name.encode() in response.content


def test_approve_action_approves_through_the_service(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    client.post(CHANGELIST, {"action": "approve", "_selected_action": [enrollment.pk]})

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by) == ("approved", staff)


def test_an_illegal_action_is_reported_and_changes_nothing(client, staff):
    enrollment = EnrollmentFactory(status="draft")

    response = client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [enrollment.pk]}, follow=True
    )

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Cannot approve an enrollment that is draft" in m for m in messages)
    enrollment.refresh_from_db()
    assert enrollment.status == "draft"


def test_refuse_action_asks_for_a_reason_first(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    response = client.post(CHANGELIST, {"action": "refuse", "_selected_action": [enrollment.pk]})

    assert response.status_code == 200
    assert b"reason" in response.content
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


def test_refuse_action_with_a_reason_refuses(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    client.post(
        CHANGELIST,
        {
            "action": "refuse",
            "_selected_action": [enrollment.pk],
            "apply": "1",
            "reason": "Program not eligible",
        },
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.status_reason) == ("refused", "Program not eligible")


def test_withdraw_action_takes_an_effective_date(client, staff):
    enrollment = EnrollmentFactory(status="active")

    client.post(
        CHANGELIST,
        {
            "action": "withdraw",
            "_selected_action": [enrollment.pk],
            "apply": "1",
            "reason": "Moved back home",
            "effective": "2025-10-20",
        },
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, str(enrollment.withdrawn_on)) == ("withdrawn", "2025-10-20")


def test_staff_add_an_enrollment_as_a_draft_in_the_admin(client, staff):
    student, session, program = StudentFactory(), SessionFactory(), ProgramFactory()

    response = client.post(
        "/admin/enrollment/enrollment/add/",
        {
            "student": student.pk,
            "session": session.pk,
            "school": program.school_id,
            "program": program.pk,
            "load": "full_time",
            "credits": "15",
            "residence": "off_campus",
        },
    )

    assert response.status_code == 302, response.content
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "draft"
    assert enrollment.history.get().history_user == staff


def test_admin_form_refuses_a_closed_year(client, staff):
    student, program = StudentFactory(), ProgramFactory()
    session = SessionFactory(scholar_year__is_closed=True)

    response = client.post(
        "/admin/enrollment/enrollment/add/",
        {
            "student": student.pk,
            "session": session.pk,
            "school": program.school_id,
            "program": program.pk,
            "load": "full_time",
            "credits": "15",
            "residence": "home",
        },
    )

    assert response.status_code == 200
    assert b"closed to new enrollments" in response.content
    assert not Enrollment.objects.exists()


def test_a_decided_enrollment_shows_its_studies_read_only(client, staff):
    enrollment = EnrollmentFactory(status="approved")

    response = client.get(f"/admin/enrollment/enrollment/{enrollment.pk}/change/")

    assert b'name="load"' not in response.content
    assert b'name="notes"' in response.content


def test_staff_refuse_a_received_document_with_a_reason(
    client, staff, django_capture_on_commit_callbacks
):
    from documents.models import DocumentType
    from documents.tests.factories import upload
    from enrollment.checklist import enrollment_document_add
    from enrollment.models import ChecklistItem, EnrollmentDocument, RequiredDocument

    proof = DocumentType.objects.get(code="proof-of-enrollment")
    RequiredDocument.objects.create(document_type=proof)
    enrollment = EnrollmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_document_add(
            document=EnrollmentDocument(enrollment=enrollment, document_type=proof),
            upload=upload(),
            by=None,
        )
    item = ChecklistItem.objects.get()
    url = "/admin/enrollment/checklistitem/"

    seen = {f"seen-{item.pk}": item.document_id}  # the document the list showed

    page = client.post(url, {"action": "refuse", "_selected_action": [item.pk], **seen})
    client.post(
        url,
        {
            "action": "refuse",
            "_selected_action": [item.pk],
            "apply": "1",
            "reason": "Blurry",
            **seen,
        },
    )

    assert b"Refuse the selected documents" in page.content
    item.refresh_from_db()
    assert (item.status, item.reason, item.reviewed_by) == ("refused", "Blurry", staff)


# --- workflow buttons on an enrollment's own page ------------------------------------------
def steps_offered(page: bytes, enrollment: Enrollment) -> list[str]:
    """The steps the page offers as buttons, in order (each is a form posting to it)."""
    import re

    prefix = f"/admin/enrollment/enrollment/{enrollment.pk}/step/"
    return re.findall(rf'action="{re.escape(prefix)}(\w+)/"', page.decode())


def change_page(client, enrollment: Enrollment) -> bytes:
    response = client.get(f"{CHANGELIST}{enrollment.pk}/change/")
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize(
    "status, steps",
    [
        ("draft", ["submit", "withdraw"]),
        ("submitted", ["approve", "refuse", "withdraw"]),
        ("approved", ["activate", "withdraw"]),
        ("active", ["complete", "withdraw"]),
        ("completed", []),
        ("refused", []),
    ],
)
def test_an_enrollments_page_offers_the_steps_legal_from_its_status_only(
    client, staff, status, steps
):
    enrollment = EnrollmentFactory(status=status)

    assert steps_offered(change_page(client, enrollment), enrollment) == steps


def test_a_user_who_may_only_see_an_enrollment_gets_no_step_button(client):
    enrollment = EnrollmentFactory(status="submitted")
    client.force_login(StaffUserFactory(group="Finance"))

    assert steps_offered(change_page(client, enrollment), enrollment) == []


def test_each_step_button_is_a_form_posting_its_csrf_token(client, staff):
    import re

    enrollment = EnrollmentFactory(status="submitted")

    page = change_page(client, enrollment).decode()

    forms = re.findall(r'<form method="post" action="[^"]*/step/\w+/">(.*?)</form>', page, re.S)
    assert len(forms) == 3
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)


def test_a_step_button_moves_the_enrollment_and_comes_back_to_its_page(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    response = client.post(f"{CHANGELIST}{enrollment.pk}/step/approve/")

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{enrollment.pk}/change/"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by) == ("approved", staff)


def test_a_step_is_never_taken_by_a_get(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    response = client.get(f"{CHANGELIST}{enrollment.pk}/step/approve/")

    assert response.status_code == 405
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


def test_a_step_posted_without_its_csrf_token_is_refused(staff):
    from django.test import Client

    enrollment = EnrollmentFactory(status="submitted")
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(f"{CHANGELIST}{enrollment.pk}/step/approve/")

    assert response.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


def test_a_step_not_legal_now_is_told_on_the_page_and_changes_nothing(client, staff):
    enrollment = EnrollmentFactory(status="draft")

    response = client.post(f"{CHANGELIST}{enrollment.pk}/step/approve/", follow=True)

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Cannot approve an enrollment that is draft."]
    enrollment.refresh_from_db()
    assert enrollment.status == "draft"


def test_refusing_from_the_page_asks_for_a_reason_first(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    response = client.post(f"{CHANGELIST}{enrollment.pk}/step/refuse/")

    assert response.status_code == 200
    assert b'name="reason"' in response.content
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


def test_refusing_from_the_page_with_a_reason_refuses(client, staff):
    enrollment = EnrollmentFactory(status="submitted")

    client.post(
        f"{CHANGELIST}{enrollment.pk}/step/refuse/", {"apply": "1", "reason": "Not eligible"}
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.status_reason) == ("refused", "Not eligible")


def test_withdrawing_from_the_page_takes_a_reason_and_a_date(client, staff):
    enrollment = EnrollmentFactory(status="active")

    client.post(
        f"{CHANGELIST}{enrollment.pk}/step/withdraw/",
        {"apply": "1", "reason": "Moved back home", "effective": "2025-10-20"},
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, str(enrollment.withdrawn_on)) == ("withdrawn", "2025-10-20")


def test_a_counsellor_cannot_take_a_step_on_another_counsellors_student(client):
    enrollment = EnrollmentFactory(status="submitted")
    client.force_login(StaffUserFactory(group="Counsellors"))

    response = client.post(f"{CHANGELIST}{enrollment.pk}/step/approve/")

    assert response.status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == "submitted"


# --- history: field, old → new, who -----------------------------------------------------
def test_an_enrollments_history_shows_the_status_change_old_to_new_and_who(client, staff):
    staff.first_name, staff.last_name = "Lucy", "Annanack"
    staff.save()
    enrollment = EnrollmentFactory(status="submitted")
    client.post(f"{CHANGELIST}{enrollment.pk}/step/approve/")

    page = client.get(f"{CHANGELIST}{enrollment.pk}/history/").content.decode()

    assert "<strong>Status</strong>:" in page
    assert "Submitted&nbsp;&rarr; Approved" in " ".join(page.split())
    assert "Lucy Annanack" in page


# --- lists: what people scan for first ----------------------------------------------------
@pytest.mark.parametrize("model", [Enrollment, ChecklistItem])
def test_a_list_shows_the_status_within_its_first_four_columns(model):
    from django.contrib import admin

    assert "status" in list(admin.site._registry[model].list_display)[:4]


def test_the_enrollment_list_shows_who_which_session_and_the_status_first():
    from django.contrib import admin

    columns = list(admin.site._registry[Enrollment].list_display)

    assert columns[:3] == ["student", "session", "status"]


# --- the program picker follows the school ---------------------------------------------
def test_the_enrollment_form_loads_the_program_by_school_script(client, staff):
    page = client.get(f"{CHANGELIST}add/").content.decode()

    assert "avataq/admin/program_by_school.js" in page


def test_the_program_picker_offers_only_the_chosen_schools_programs(client, staff):
    mine, other = ProgramFactory(name="Nursing"), ProgramFactory(name="Nursing too")

    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "enrollment",
            "model_name": "enrollment",
            "field_name": "program",
            "term": "Nursing",
            "school": mine.school_id,
        },
    )

    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]
    assert other.school_id != mine.school_id


def test_a_program_of_another_school_is_refused_with_a_clear_message(client, staff):
    student, session = StudentFactory(), SessionFactory()
    program, elsewhere = ProgramFactory(), ProgramFactory()

    response = client.post(
        f"{CHANGELIST}add/",
        {
            "student": student.pk,
            "session": session.pk,
            "school": elsewhere.school_id,
            "program": program.pk,
            "load": "full_time",
            "credits": "15",
            "residence": "home",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["program"] == [
        "This program is not offered by that school."
    ]
    assert not Enrollment.objects.exists()


# --- checklist items: review buttons, about the document staff saw -----------------------
ITEMS = "/admin/enrollment/checklistitem/"


@pytest.fixture
def received(django_capture_on_commit_callbacks):
    """A checklist item with the document the student sent; ``received.send()`` files a
    newer one for the same item."""
    from documents.models import DocumentType
    from documents.tests.factories import upload
    from enrollment.checklist import enrollment_document_add
    from enrollment.models import EnrollmentDocument, RequiredDocument

    proof = DocumentType.objects.get(code="proof-of-enrollment")
    RequiredDocument.objects.create(document_type=proof)
    enrollment = EnrollmentFactory(status="submitted")

    def send(name: str) -> EnrollmentDocument:
        with django_capture_on_commit_callbacks(execute=True):
            return enrollment_document_add(
                document=EnrollmentDocument(enrollment=enrollment, document_type=proof),
                upload=upload(name),
                by=None,
            )

    send("first.pdf")
    item = ChecklistItem.objects.get()
    item.send = send
    return item


def test_a_received_documents_page_offers_accept_and_refuse_posting_the_document_shown(
    client, staff, received
):
    import re

    page = client.get(f"{ITEMS}{received.pk}/change/").content.decode()

    forms = re.findall(r'<form method="post" action="[^"]*/step/(\w+)/">(.*?)</form>', page, re.S)
    assert [step for step, _ in forms] == ["accept", "refuse"]
    seen = f'name="seen-{received.pk}" value="{received.document_id}"'
    assert all(seen in form for _, form in forms)


def test_accepting_from_the_items_page_accepts_the_document_shown(client, staff, received):
    client.post(f"{ITEMS}{received.pk}/step/accept/", {f"seen-{received.pk}": received.document_id})

    received.refresh_from_db()
    assert (received.status, received.reviewed_by) == ("accepted", staff)


def test_refusing_from_the_items_page_asks_for_the_reason_the_student_reads(
    client, staff, received
):
    seen = {f"seen-{received.pk}": received.document_id}

    asked = client.post(f"{ITEMS}{received.pk}/step/refuse/", seen)
    client.post(f"{ITEMS}{received.pk}/step/refuse/", {**seen, "apply": "1", "reason": "Blurry"})

    assert f'name="seen-{received.pk}"' in asked.content.decode()
    received.refresh_from_db()
    assert (received.status, received.reason) == ("refused", "Blurry")


def test_accepting_on_a_page_shown_before_a_newer_upload_leaves_the_newer_one_waiting(
    client, staff, received
):
    seen = received.document_id  # the page showed the first document
    newer = received.send("second.pdf")

    response = client.post(
        f"{ITEMS}{received.pk}/step/accept/", {f"seen-{received.pk}": seen}, follow=True
    )

    received.refresh_from_db()
    assert (received.status, received.document_id) == ("received", newer.pk)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "A newer document arrived since this page was shown; look at it first. Nothing was changed."
    ]


def test_accepting_from_a_list_shown_before_a_newer_upload_leaves_the_newer_one_waiting(
    client, staff, received
):
    seen = received.document_id
    received.send("second.pdf")

    client.post(
        ITEMS, {"action": "accept", "_selected_action": [received.pk], f"seen-{received.pk}": seen}
    )

    received.refresh_from_db()
    assert received.status == "received"


def test_a_checklist_items_history_shows_its_status_change_and_who(client, staff, received):
    client.post(f"{ITEMS}{received.pk}/step/accept/", {f"seen-{received.pk}": received.document_id})

    page = " ".join(client.get(f"{ITEMS}{received.pk}/history/").content.decode().split())

    assert "<strong>Status</strong>: Received&nbsp;&rarr; Accepted" in page
    assert staff.username in page


# --- checklist items in French ----------------------------------------------------------------
def test_a_refused_documents_page_reads_in_french_with_its_own_gender(client, staff, received):
    seen = {f"seen-{received.pk}": received.document_id}
    response = client.post(
        f"{ITEMS}{received.pk}/step/refuse/",
        {**seen, "apply": "1", "reason": "Flou"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )

    page = response.content.decode().replace("\N{NO-BREAK SPACE}", " ")
    assert "Preuve d&#x27;inscription" in page and "Proof of enrollment" not in page
    assert ">Refusé</li>" in page and "refusé »" in page
    assert "Refusée" not in page and "refusée" not in page


def test_the_checklist_list_names_document_types_in_french(client, staff, received):
    page = client.get(ITEMS, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Preuve d&#x27;inscription" in page and "Proof of enrollment" not in page


def test_an_enrollments_checklist_names_document_types_in_french(client, staff, received):
    url = f"{CHANGELIST}{received.enrollment_id}/change/"

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Preuve d&#x27;inscription" in page and "Proof of enrollment" not in page


def test_a_checklist_items_page_has_its_review_buttons_and_no_save_button(client, staff, received):
    page = client.get(f"{ITEMS}{received.pk}/change/").content.decode()

    assert "/step/accept/" in page and "/step/refuse/" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page


def test_an_enrollments_page_keeps_its_save_button(client, staff):
    enrollment = EnrollmentFactory(status="draft")

    page = change_page(client, enrollment).decode()

    assert 'name="_save"' in page
