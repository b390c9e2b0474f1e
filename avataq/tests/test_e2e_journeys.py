"""A day of each back-office role, in a real browser (Chromium, Playwright, a live server),
in English and in French: a counsellor, Staff inviting a student, and Finance. Each
journey counts its clicks against a bound (the README's "Daily work, click by click"
compares them with the Odoo screens they replace), axe-core checks the key pages for
serious or critical accessibility violations, and the key screens are the guide's
screenshots (``guide_screenshot``: docs/, ``make guide``).

The users hold their role's real groups (``avataq/roles.py``), never superuser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail as django_mail

from avataq.dev import axe
from avataq.tests.browser import (
    LAPTOP,
    Journey,
    chromium,
    data_migration_rows,
    guide_screenshot,
    needs_chromium,
    this_years_sessions,
)
from avataq.tests.factories import StaffUserFactory
from billing.models import BankAccount, ComputingSheet, ScheduledPayment
from billing.payments import runs
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory, SchoolFeeFactory
from billing.tests.factories_payments import bank_details
from documents.models import DocumentType
from documents.tests.factories import upload
from enrollment import checklist
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.models import Invitation
from portal.tests.factories import PASSWORD
from scholarships import services as student_services
from scholarships.tests.factories import ProgramFactory, StudentFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]
LANGUAGES = ["en", "fr"]

# What each language's pages say at the steps the journeys check.
SAYS = {
    "en": {
        "approved": "The enrollment is now approved.",
        "active": "The enrollment is now active.",
        "refused": "The enrollment is now refused.",
        "accepted": "Proof of enrollment is now accepted.",
        "doc_refused": "Transcript is now refused.",
        "invited": "Invitation emailed to",
        "computed": "2 sheets computed.",
        "validated_one": "is validated; its payments are scheduled.",
        "validated_many": "1 sheet validated.",
        "imported": "new line(s) of",
        "matched": "1 match(es) made.",
        "reports": "Reconciliation reports",
    },
    "fr": {
        "approved": "L'inscription est maintenant approuvée.",
        "active": "L'inscription est maintenant active.",
        "refused": "L'inscription est maintenant refusée.",
        "accepted": "« Preuve d'inscription » est maintenant à l'état « accepté »",
        "doc_refused": "« Relevé de notes » est maintenant à l'état",
        "invited": "Invitation envoyée par courriel à",
        "computed": "2 feuilles calculées.",
        "validated_one": "est validée",
        "validated_many": "1 feuille validée.",
        "imported": "nouvelle(s) ligne(s) sur",
        "matched": "1 rapprochement(s) effectué(s).",
        "reports": "Rapports de rapprochement",
    },
}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def journey(browser, live_server, language: str) -> Journey:
    context = browser.new_context(locale=language, viewport=LAPTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return Journey(page=page, base_url=live_server.url)


def no_serious_violations(j: Journey, where: str) -> None:
    found = axe.violations(j.page)
    assert not found, f"{where}: " + "; ".join(found)


def sign_in_to_admin(j: Journey, username: str) -> None:
    j.task("sign in")
    j.open("/admin/")
    j.type(j.page.locator("#id_username"), username)
    j.type(j.page.locator("#id_password"), PASSWORD)
    j.click(j.page.locator("input[type=submit]"))
    j.page.wait_for_selector("#content-main")


def message(j: Journey):
    return j.page.locator("ul.messagelist")


# The clicks each task takes at most (the README's table, beside Odoo's).
COUNSELLOR = {
    "sign in": 2,
    "find a student and read the file": 6,
    "accept one document, refuse another": 7,
    "approve an enrollment and mark it active": 3,
    "refuse an application, with a reason": 4,
}

STAFF = {"sign in": 2, "invite the student to the portal": 4}
FINANCE = {
    "sign in": 2,
    "compute the sheets of the approved enrollments": 5,
    "read and validate each sheet": 6,
    "import a bank statement (camt.053)": 4,
    "reconcile a line (accept its suggestion)": 1,
    "open the report and export it": 2,
}


# --- a counsellor's day --------------------------------------------------------------------


@pytest.fixture
def caseload():
    """Lucassie Qumaluk, one of the counsellor's students: a fall application submitted
    with its proof of enrollment and transcript sent, and a winter application at
    another school, which the counsellor refuses; and another counsellor's student."""
    data_migration_rows()
    fall, winter = this_years_sessions()
    for code in ["proof-of-enrollment", "transcript"]:
        RequiredDocument.objects.create(document_type=DocumentType.objects.get(code=code))
    counsellor = StaffUserFactory(
        group="Counsellors", username="annie.baron", first_name="Annie", last_name="Baron"
    )
    other = StaffUserFactory(group="Counsellors", username="paul.other")
    student = StudentFactory(first_name="Lucassie", last_name="Qumaluk", status_no="70001234")
    student.counsellor = counsellor
    student_services.student_save(student=student, by=None)
    stranger = StudentFactory(first_name="Lucassie", last_name="Qumaluktuq", status_no="80005678")
    stranger.counsellor = other
    student_services.student_save(student=stranger, by=None)
    program = ProgramFactory(name="Nursing", school__name="Cégep Marie-Victorin")
    enrollment = EnrollmentFactory(
        student=student, session=fall, program=program, status=Enrollment.Status.SUBMITTED
    )
    checklist.checklist_sync(enrollment=enrollment)
    for code, name in [("proof-of-enrollment", "preuve.pdf"), ("transcript", "releve.pdf")]:
        checklist.enrollment_document_add(
            document=EnrollmentDocument(
                enrollment=enrollment, document_type=DocumentType.objects.get(code=code)
            ),
            upload=upload(name),
            by=None,
        )
    duplicate = EnrollmentFactory(
        student=student,
        session=winter,
        program=ProgramFactory(name="Nursing", school__name="Cégep de Saint-Laurent"),
        status=Enrollment.Status.SUBMITTED,
    )
    return student, enrollment, duplicate


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_counsellors_day(live_server, browser, caseload, language):
    from playwright.sync_api import expect

    student, enrollment, duplicate = caseload
    says = SAYS[language]
    j = journey(browser, live_server, language)
    page = j.page
    sign_in_to_admin(j, "annie.baron")

    # Find the student: the Students list, a search by name, the student's page.
    j.task("find a student and read the file")
    j.click(page.locator("#content-main a[href$='/admin/scholarships/student/']").first)
    no_serious_violations(j, "student list")
    j.type(page.locator("#searchbar"), "Qumaluk")
    j.enter(page.locator("#searchbar"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)  # another counsellor's Qumaluktuq is not offered
    j.click(rows.first.get_by_role("link", name="70001234"))
    expect(page.locator("#id_last_name")).to_have_value("Qumaluk")
    no_serious_violations(j, "student page")
    j.shot(f"counsellor-student-{language}")
    guide_screenshot(page, "counsellor-student", language)

    # Read the file: its documents in the explorer, one click from the student's page.
    j.click(page.locator("ul.object-tools a[href*='/documents/?student=70001234']"))
    expect(page.locator("table tbody tr")).to_have_count(2)
    no_serious_violations(j, "explorer")
    j.shot(f"counsellor-explorer-{language}")
    guide_screenshot(page, "counsellor-explorer", language)
    with page.expect_download() as download:
        j.click(page.locator("tr", has_text="preuve.pdf").locator("a[href*='/download/']"))
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    j.back()

    # Review the documents of the fall enrollment's checklist, from its page.
    j.task("accept one document, refuse another")
    j.click(page.locator(f"a.inlinechangelink[href*='/enrollment/{enrollment.pk}/change/']"))
    no_serious_violations(j, "enrollment page")
    j.shot(f"counsellor-enrollment-{language}")
    guide_screenshot(page, "counsellor-enrollment", language)
    proof, transcript = ChecklistItem.objects.filter(enrollment=enrollment).order_by(
        "document_type__code"
    )
    j.click(page.locator(f"a.inlinechangelink[href*='/checklistitem/{proof.pk}/change/']"))
    j.shot(f"counsellor-item-{language}")
    guide_screenshot(page, "counsellor-checklist-item", language)
    j.click(step(page, "accept"))
    expect(message(j)).to_contain_text(says["accepted"])
    j.click(page.locator(f".field-enrollment a[href*='/enrollment/{enrollment.pk}/change/']"))
    j.click(page.locator(f"a.inlinechangelink[href*='/checklistitem/{transcript.pk}/change/']"))
    j.click(step(page, "refuse"))
    j.type(page.locator("#id_reason"), "The scan is blurred: send a clear photo.")
    j.shot(f"counsellor-reason-{language}")
    guide_screenshot(page, "counsellor-refuse-document", language)
    j.click(page.locator("input[name=apply]"))
    expect(message(j)).to_contain_text(says["doc_refused"])
    assert ChecklistItem.objects.get(pk=proof.pk).status == "accepted"
    assert ChecklistItem.objects.get(pk=transcript.pk).status == "refused"

    # Move the enrollment on from its own page: approve it, mark it active.
    j.task("approve an enrollment and mark it active")
    j.click(page.locator(f".field-enrollment a[href*='/enrollment/{enrollment.pk}/change/']"))
    j.click(step(page, "approve"))
    expect(message(j)).to_contain_text(says["approved"])
    j.click(step(page, "activate"))
    expect(message(j)).to_contain_text(says["active"])
    j.shot(f"counsellor-active-{language}")
    guide_screenshot(page, "counsellor-enrollment-active", language)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE

    # Refuse the winter application, with the reason the student will read.
    j.task("refuse an application, with a reason")
    j.click(page.locator(f".field-student a[href*='/student/{student.pk}/change/']"))
    j.click(page.locator(f"a.inlinechangelink[href*='/enrollment/{duplicate.pk}/change/']"))
    j.click(step(page, "refuse"))
    j.type(page.locator("#id_reason"), "Your program ends in the fall.")
    no_serious_violations(j, "reason page")
    j.click(page.locator("input[name=apply]"))
    expect(message(j)).to_contain_text(says["refused"])
    duplicate.refresh_from_db()
    assert duplicate.status == Enrollment.Status.REFUSED
    within_bounds(j, COUNSELLOR)


# --- Staff invite a student to the portal ----------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_invite_a_student_to_the_portal(live_server, browser, language):
    from playwright.sync_api import expect

    data_migration_rows()
    StaffUserFactory(group="Staff", username="staff.marie")
    student = StudentFactory(first_name="Lucassie", last_name="Qumaluk", status_no="70001234")
    j = journey(browser, live_server, language)
    page = j.page
    sign_in_to_admin(j, "staff.marie")

    j.task("invite the student to the portal")
    j.click(page.locator("#content-main a.addlink[href$='/portal/invitation/add/']"))
    j.click(page.locator(".field-student .select2-selection"))
    j.type(page.locator(".select2-search__field"), "Qumaluk")
    j.click(page.locator(".select2-results__option", has_text="Qumaluk"))
    j.type(page.locator("#id_email"), "lucassie@example.org")
    no_serious_violations(j, "invitation form")
    j.shot(f"staff-invite-{language}")
    guide_screenshot(page, "staff-invitation", language)
    j.click(page.locator("input[name=_save]"))
    expect(message(j)).to_contain_text(f"{SAYS[language]['invited']} lucassie@example.org")
    assert Invitation.objects.get().student == student
    (sent,) = [m for m in django_mail.outbox if "/account/invitation/" in m.body]
    assert sent.to == ["lucassie@example.org"]
    within_bounds(j, STAFF)


# --- Finance's day ------------------------------------------------------------------------
@pytest.fixture
def session_to_pay():
    """Two approved fall enrollments to compute and pay, and the program's bank account."""
    data_migration_rows()
    fall, _winter = this_years_sessions()
    rates = RateScheduleFactory(scholar_year=fall.scholar_year)
    program = ProgramFactory(name="Nursing", school__name="Cégep Marie-Victorin")
    SchoolFeeFactory(rates=rates, school=program.school)
    enrollments = []
    for first, last, status_no in [
        ("Maata", "Saunders", "70002001"),
        ("Jaaji", "Okpik", "70002002"),
    ]:
        student = StudentFactory(first_name=first, last_name=last, status_no=status_no)
        CommunityFareFactory(rates=rates, community=student.community)
        enrollments.append(
            EnrollmentFactory(
                student=student, session=fall, program=program, status=Enrollment.Status.APPROVED
            )
        )
    StaffUserFactory(group="Finance", username="finance.lucy")
    account = BankAccount.objects.create(
        name="Operations", institution="Desjardins", account_number="4567"
    )
    return enrollments, account


def camt053(entries: list[tuple[str, Decimal, str, str]], account_number: str) -> bytes:
    """A camt.053.001.02 statement, as the bank sends it: (date, amount, payee, end-to-end
    reference) per debit entry."""
    rows = "".join(
        f"""
      <Ntry>
        <Amt Ccy="CAD">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>E2E-{n:04d}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{reference or "NOTPROVIDED"}</EndToEndId></Refs>
          <RltdPties><Cdtr><Nm>{payee}</Nm></Cdtr></RltdPties>
        </TxDtls></NtryDtls>
      </Ntry>"""
        for n, (day, amount, payee, reference) in enumerate(entries, start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-E2E</MsgId><CreDtTm>2025-10-01T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-E2E-1</Id>
      <Acct><Id><Othr><Id>81{account_number}</Id></Othr></Id><Ccy>CAD</Ccy></Acct>{rows}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_finance_officers_day(live_server, browser, session_to_pay, language, tmp_path):
    from playwright.sync_api import expect

    enrollments, account = session_to_pay
    says = SAYS[language]
    j = journey(browser, live_server, language)
    page = j.page
    sign_in_to_admin(j, "finance.lucy")

    # Compute the sheets of the session's approved enrollments, from their list.
    j.task("compute the sheets of the approved enrollments")
    j.click(page.locator("#content-main a[href$='/admin/enrollment/enrollment/']").first)
    j.click(page.locator("#changelist-filter a[href*='status__exact=approved']"))
    no_serious_violations(j, "enrollment list")
    j.shot(f"finance-enrollments-{language}")
    j.check(page.locator("#action-toggle"))
    j.choose(page.locator("select[name=action]"), "compute_sheets")
    guide_screenshot(page, "finance-compute-sheets", language)
    j.click(page.locator("button[name=index]"))
    expect(message(j)).to_contain_text(says["computed"])

    # Read each sheet and validate it from its page.
    j.task("read and validate each sheet")
    j.click(page.locator("#nav-sidebar a[href$='/admin/billing/computingsheet/']"))
    no_serious_violations(j, "sheet list")
    for enrollment in enrollments:
        sheet = ComputingSheet.objects.get(enrollment=enrollment)
        j.click(page.locator(f"#result_list a[href*='/computingsheet/{sheet.pk}/change/']"))
        if enrollment is enrollments[0]:
            no_serious_violations(j, "sheet page")
            j.shot(f"finance-sheet-{language}")
            guide_screenshot(page, "finance-sheet", language)
        j.click(step(page, "validate"))
        expect(message(j)).to_contain_text(says["validated_one"])
        if enrollment is not enrollments[-1]:
            j.click(page.locator(".breadcrumbs a[href$='/admin/billing/computingsheet/']"))
    assert set(ComputingSheet.objects.values_list("status", flat=True)) == {"validated"}

    # Import the bank's statement: the first payment carries its reference (matched on
    # import), the second only the payee's name; and the bank's fee.
    first, second = (
        ScheduledPayment.objects.filter(enrollment=e).order_by("due_date", "pk").first()
        for e in enrollments
    )
    day = first.due_date.isoformat()
    statement = tmp_path / "releve.xml"
    statement.write_bytes(
        camt053(
            [
                (day, first.amount, "Maata Saunders", first.reference),
                (day, second.amount, "Jaaji Okpik", ""),
                (day, Decimal("2.50"), "Desjardins", ""),
            ],
            account.account_number,
        )
    )
    j.task("import a bank statement (camt.053)")
    j.open("/finance/")
    no_serious_violations(j, "finance home")
    j.choose(page.locator("#format"), "camt053")
    j.attach(page.locator("#file"), str(statement))
    guide_screenshot(page, "finance-statement-import", language)
    j.click(page.locator("form[action$='/finance/statements/upload/'] button[type=submit]"))
    expect(page.locator(".messages")).to_contain_text(says["imported"])
    j.shot(f"finance-reconcile-{language}")
    guide_screenshot(page, "finance-reconcile", language)
    no_serious_violations(j, "reconcile page")
    first.refresh_from_db()
    assert first.reconciled_amount == first.amount

    # Reconcile the line the bank paid by name: its suggestion, accepted.
    j.task("reconcile a line (accept its suggestion)")
    line = page.locator("tr", has_text="Jaaji Okpik")
    j.click(line.locator("form[action*='/accept/'] button[type=submit]").first)
    expect(page.locator(".messages")).to_contain_text(says["matched"])
    second.refresh_from_db()
    assert second.reconciled_amount == second.amount

    # The report, and its export for the accountants.
    j.task("open the report and export it")
    j.click(page.locator("header nav a[href$='/finance/reports/']"))
    expect(page.locator("h1")).to_have_text(says["reports"])
    no_serious_violations(j, "reports")
    j.shot(f"finance-reports-{language}")
    guide_screenshot(page, "finance-reports", language)
    with page.expect_download() as download:
        j.click(page.locator("a[href='?format=csv']"))
    assert "70002001" not in Path(download.value.path()).read_text()  # totals, not people
    within_bounds(j, FINANCE)

    # A colleague prepared a run of the payments due: its page offers this officer the
    # approval its preparer may not give (not a counted task: the guide's picture of it).
    bank_details(student=enrollments[0].student)
    run = runs.payment_run_build(
        due_until=enrollments[0].session.end_date,
        by=StaffUserFactory(group="Finance", username="finance.marie"),
    )
    page.goto(f"{live_server.url}/finance/runs/{run.pk}/")
    expect(page.locator(f"form[action$='/finance/runs/{run.pk}/approve/'] button")).to_be_visible()
    guide_screenshot(page, "finance-payment-run", language)


def within_bounds(j: Journey, bounds: dict[str, int]) -> None:
    """The clicks of each task, at most as many as the README says."""
    print(f"clicks {j.tasks} (total {j.clicks}), typed {j.typed}, loads {j.loads}")
    assert j.tasks.keys() == bounds.keys()
    over = {task: (j.tasks[task], most) for task, most in bounds.items() if j.tasks[task] > most}
    assert not over, f"more clicks than the README says: {over}"


def step(page, name: str):
    """A workflow button of the record's page."""
    return page.locator(f".workflow-steps form[action$='/step/{name}/'] button")
