"""End to end, in a real browser: Debian's Chromium driven by Playwright against a live
server. A student signs up, cannot sign in before confirming, confirms (with the
password), claims, applies, sends a PDF, finds it in the checklist, downloads it, and
switches to French."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.db import connections
from django.utils import timezone

from documents.models import DocumentType
from documents.tests.factories import PDF
from enrollment.models import RequiredDocument
from portal.models import OutgoingEmail
from portal.tests.factories import PASSWORD
from scholarships.tests.factories import (
    ProgramFactory,
    ScholarYearFactory,
    SessionFactory,
    StudentFactory,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (make test installs it)"),
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # between steps are plain synchronous calls all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            yield browser
            browser.close()
            # Django keeps a connection per context, and Playwright's greenlet gives the
            # test's ORM calls a context of their own: close that connection here, or it
            # outlives the test and the test database cannot be dropped.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


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
