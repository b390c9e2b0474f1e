"""End to end, in a real browser: Debian's Chromium driven by Playwright against a live
server. A student signs up, cannot sign in before confirming, confirms (with the
password), claims, applies, sends a PDF, finds it in the checklist, downloads it, and
switches to French. And a student's day on a phone, in English and in French: sign in,
apply, send a document, see the payments — its taps counted, its pages checked by
axe-core."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from avataq.dev import axe
from avataq.tests.browser import (
    DEVICES,
    Journey,
    chromium,
    data_migration_rows,
    guide_screenshot,
    needs_chromium,
    this_years_sessions,
)
from billing import services as billing_services
from billing.models import RateSchedule
from billing.tests.factories import CommunityFareFactory, SchoolFeeFactory
from documents.models import DocumentType
from documents.tests.factories import PDF
from enrollment.models import ChecklistItem, Enrollment, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.models import OutgoingEmail
from portal.tests.factories import PASSWORD, portal_student
from scholarships.tests.factories import (
    ProgramFactory,
    ScholarYearFactory,
    SessionFactory,
    StudentFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def program_data(data_migration_rows):
    today = timezone.localdate()
    session = SessionFactory(
        scholar_year=ScholarYearFactory(first=today.year if today.month >= 8 else today.year - 1),
        term="winter",
        start_date=today + dt.timedelta(days=20),
        end_date=today + dt.timedelta(days=120),
        application_deadline=today + dt.timedelta(days=10),
    )
    program = ProgramFactory(name="Nursing", school__name="Cégep Marie-Victorin")
    RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code="proof-of-enrollment")
    )
    student = StudentFactory(
        status_no="12345", date_of_birth=dt.date(2004, 3, 14), first_name="Annie"
    )
    return session, program, student


def test_a_student_signs_up_applies_sends_a_pdf_and_reads_it_all_in_french(
    live_server, browser, program_data, tmp_path: Path
):
    from playwright.sync_api import expect

    session, program, student = program_data
    page = browser.new_page(accept_downloads=True)
    page.set_default_timeout(15_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    url = live_server.url

    # Sign up.
    page.goto(f"{url}/")
    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Email").fill("annie@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice and I accept it.").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()

    # Signing in before confirming is refused, like a wrong password.
    page.goto(f"{url}/account/login/")
    page.get_by_label("Email").fill("annie@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("first confirm your email")).to_be_visible()

    # Confirm, with the link from the email as it was delivered (the outbox keeps a copy
    # without the link once it is sent): it asks for the password, then signs in.
    assert OutgoingEmail.objects.get(template_code="account_confirmation").status == "sent"
    (delivered,) = [m for m in django_mail.outbox if "/account/confirm/" in m.body]
    path = delivered.body[delivered.body.index("/account/confirm/") :].split()[0]
    page.goto(f"{url}{path}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm my email").click()

    # Claim the student record.
    expect(page.get_by_role("heading", name="Link your student record")).to_be_visible()
    page.get_by_label("Beneficiary (status) number").fill("12345")
    page.get_by_label("Date of birth").fill("2004-03-14")
    page.get_by_role("button", name="Link my record").click()
    expect(page.get_by_role("heading", name="Hello, Annie")).to_be_visible()

    # Apply for the session.
    page.get_by_role("link", name="Apply for a session").click()
    page.get_by_label("Session").select_option(str(session.pk))
    page.get_by_label("School").select_option(str(program.school.pk))
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Program").select_option(str(program.pk))
    page.get_by_label("Full-time").check()
    page.get_by_label("Away, off campus").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="My documents")).to_be_visible()
    expect(page.get_by_text("Missing")).to_be_visible()

    # Send a PDF; it shows in the checklist as received.
    pdf = tmp_path / "preuve.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Send the file").set_input_files(str(pdf))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Proof of enrollment received. Thank you.")).to_be_visible()
    expect(page.locator(".checklist .badge")).to_have_text("Received")

    # Download it back (a 60-second link).
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download preuve.pdf").click()
    assert Path(download_info.value.path()).read_bytes() == PDF

    # Switch to French: the page, and the student's record, remember it.
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Mes documents")).to_be_visible()
    expect(page.locator(".checklist .badge")).to_have_text("Reçu")
    page.get_by_role("link", name="Mon dossier").click()
    expect(page.get_by_role("heading", name="Bonjour, Annie")).to_be_visible()
    student.refresh_from_db()
    assert student.language == "fr"
    # Every step above worked without a line of JavaScript: the pages load none.
    assert not [url for url in requested if url.endswith(".js")]


# --- a student's day, on a phone -------------------------------------------------------------
# The taps each task takes at most (the README's table, beside Odoo's portal).
PHONE = {
    "sign in": 2,
    "apply for the next session": 8,
    "send a document": 2,
    "see my payments": 1,
}
PHONE_SAYS = {
    "en": {"received": "Received", "payments": "My payments", "hello": "Hello, Maata"},
    "fr": {"received": "Reçu", "payments": "Mes paiements", "hello": "Bonjour, Maata"},
}


@pytest.fixture
def student_in_fall():
    """Maata, with a portal account: her fall enrollment approved and its sheet validated
    (payments scheduled); the winter session open for applications, asking for a proof of
    enrollment."""
    data_migration_rows()
    today = timezone.localdate()
    year = today.year if today.month >= 8 else today.year - 1
    fall, winter = this_years_sessions(application_deadline=max(today, dt.date(year, 12, 1)))
    rates = RateSchedule.objects.get(scholar_year=fall.scholar_year)
    program = ProgramFactory(name="Nursing", school__name="Cégep Marie-Victorin")
    SchoolFeeFactory(rates=rates, school=program.school)
    student = portal_student(first_name="Maata", last_name="Saunders", status_no="70002001")
    student.user.username = student.user.email = "maata@example.org"
    student.user.save()
    CommunityFareFactory(rates=rates, community=student.community)
    enrollment = EnrollmentFactory(
        student=student, session=fall, program=program, status=Enrollment.Status.APPROVED
    )
    sheet = billing_services.compute_sheet(enrollment=enrollment)
    billing_services.sheet_validate(sheet=sheet, by=None)
    RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code="proof-of-enrollment")
    )
    return student, winter, program


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_students_day_on_a_phone(live_server, browser, student_in_fall, language, tmp_path):
    from playwright.sync_api import expect

    student, winter, program = student_in_fall
    student.language = language  # her file's language: the portal speaks it once signed in
    student.save(update_fields=["language"])
    says = PHONE_SAYS[language]
    device = browser.new_context(
        **{**DEVICES["Pixel 5"], "locale": language}, accept_downloads=True
    )
    page = device.new_page()
    page.set_default_timeout(15_000)
    j = Journey(page=page, base_url=live_server.url)

    def no_serious_violations(where: str) -> None:
        found = axe.violations(page)
        assert not found, f"{where}: " + "; ".join(found)

    j.task("sign in")
    j.open("/account/login/")
    j.type(page.locator("#id_username"), "maata@example.org")
    j.type(page.locator("#id_password"), PASSWORD)
    j.click(page.locator("main form.stack button"))
    expect(page.get_by_role("heading", name=says["hello"])).to_be_visible()
    no_serious_violations("dashboard")
    j.shot(f"phone-dashboard-{language}")
    guide_screenshot(page, "portal-dashboard", language)

    j.task("apply for the next session")
    j.click(page.locator("main a[href$='/my/enrollments/apply/']"))
    j.choose(page.locator("select[name=session]"), str(winter.pk))
    j.choose(page.locator("select[name=school]"), str(program.school_id))
    j.click(page.locator("main form button"))
    j.choose(page.locator("select[name=program]"), str(program.pk))
    j.check(page.locator("input[name=load][value=full_time]"))
    j.check(page.locator("input[name=residence][value=off_campus]"))
    j.shot(f"phone-apply-{language}")
    guide_screenshot(page, "portal-apply", language)
    j.click(page.locator("main form button"))
    winter_enrollment = Enrollment.objects.get(student=student, session=winter)
    item = ChecklistItem.objects.get(enrollment=winter_enrollment)
    expect(page.locator(f"#item-{item.pk} .badge")).to_have_class("badge missing")

    j.task("send a document")
    photo = tmp_path / "preuve.pdf"
    photo.write_bytes(PDF)
    j.attach(page.locator(f"#file-{item.pk}"), str(photo))
    j.click(page.locator(f"#item-{item.pk} form.upload button"))
    expect(page.locator(f"#item-{item.pk} .badge")).to_have_text(says["received"])
    no_serious_violations("documents")
    j.shot(f"phone-documents-{language}")
    guide_screenshot(page, "portal-documents", language)

    j.task("see my payments")
    j.click(page.locator("header nav a[href$='/my/payments/']"))
    expect(page.get_by_role("heading", name=says["payments"])).to_be_visible()
    expect(page.locator("main")).to_contain_text("AVQ-")
    no_serious_violations("payments")
    j.shot(f"phone-payments-{language}")
    guide_screenshot(page, "portal-payments", language)
    device.close()

    print(f"taps {j.tasks} (total {j.clicks}), typed {j.typed}, loads {j.loads}")
    over = {task: (j.tasks[task], most) for task, most in PHONE.items() if j.tasks[task] > most}
    assert j.tasks.keys() == PHONE.keys()
    assert not over, f"more taps than the README says: {over}"
