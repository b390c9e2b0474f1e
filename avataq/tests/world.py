"""A small world with one of everything, for the permission matrix: two students (A, whose
counsellor is the matrix's counsellor, and B, someone else's), each with a portal account,
an enrollment, a checklist, documents, a validated sheet and payments; a school invoice
listing both (and its PDF, a school document); a bank statement with a match; B's bank
details (pending); a prepared payment run; the portal's and operations' records; and one
user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, AnonymousUser, Group
from django.db import models
from django.utils import timezone

from avataq.models import BackupRecord, FailedTask
from avataq.roles import Role
from avataq.tests.factories import StaffUserFactory, UserFactory
from billing import reconciliation, services
from billing.models import (
    BankAccount,
    BankStatement,
    ComputingSheet,
    Match,
    Recovery,
    RejectedSuggestion,
    ScheduledPayment,
    SchoolInvoice,
    SchoolInvoiceDocument,
    SchoolInvoiceLine,
    StatementImport,
    StatementLine,
)
from billing.payments import runs as payment_runs
from billing.payments.bank_details import bank_details_set
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory, SchoolFeeFactory
from documents import services as document_services
from documents.models import DocumentAccess, DocumentIndex, DocumentType
from documents.tests.factories import upload
from enrollment import checklist
from enrollment.models import ChecklistItem, Enrollment, EnrollmentDocument, RequiredDocument
from enrollment.tests.factories import EnrollmentFactory
from portal.models import (
    ClaimAttempt,
    ConfidentialityIncident,
    CorrectionRequest,
    DataRequest,
    DestructionRecord,
    Invitation,
    OutgoingEmail,
    PrivacyAlert,
)
from portal.tests.factories import AccountFactory
from scholarships import services as student_services
from scholarships.models import ScholarYear, Student, StudentDocument, StudentRecordAccess
from scholarships.tests.factories import ProgramFactory, SessionFactory, StudentFactory

# Distinctive enough that finding them in a page means the page shows that student.
A_STATUS, A_NAME = "70000111", "Alphaqorvik"
B_STATUS, B_NAME = "80000222", "Bravoqsuttuq"
LOGINS = {
    Role.COUNSELLOR: "Counsellors",
    Role.STAFF: "Staff",
    Role.FINANCE: "Finance",
    Role.OPS: "Ops",
}
NO_GROUP = "staff without a group"
ANONYMOUS = "anonymous"


@dataclass
class StudentFile:
    student: Student
    enrollment: Enrollment
    item: ChecklistItem
    student_document: StudentDocument
    enrollment_document: EnrollmentDocument
    index: DocumentIndex  # the enrollment document's index row
    sheet: ComputingSheet
    payment: ScheduledPayment
    claim: ClaimAttempt
    email: OutgoingEmail
    recovery: Recovery


@dataclass
class World:
    a: StudentFile
    b: StudentFile
    users: dict[str, object]
    invoice: SchoolInvoice
    invoice_document: SchoolInvoiceDocument
    invoice_index: DocumentIndex
    statement: BankStatement
    line: StatementLine  # matched to A's payment
    match: Match
    objects: dict[type[models.Model], models.Model] = field(default_factory=dict)
    # A's and B's written access requests (no export built yet).
    data_requests: dict[str, DataRequest] = field(default_factory=dict)

    def owned(self, owner: str) -> StudentFile:
        return self.a if owner == "A" else self.b


def _student_file(
    status_no: str, last_name: str, session, program, counsellor: AbstractUser, capture
) -> StudentFile:
    account = AccountFactory()
    student = StudentFactory(status_no=status_no, last_name=last_name)
    student.user = account.user
    student.counsellor = counsellor
    student_services.student_save(student=student, by=None)
    enrollment = EnrollmentFactory(
        student=student, session=session, program=program, status=Enrollment.Status.APPROVED
    )
    checklist.checklist_sync(enrollment=enrollment)
    year = ScholarYear.objects.get(pk=session.scholar_year_id)
    with capture(execute=True):
        student_document = StudentDocument(
            student=student,
            scholar_year=year,
            document_type=DocumentType.objects.get(code="identity"),
        )
        document_services.document_store(
            document=student_document, upload=upload("id.pdf"), by=None
        )
        enrollment_document = EnrollmentDocument(
            enrollment=enrollment,
            document_type=DocumentType.objects.get(code="proof-of-enrollment"),
        )
        checklist.enrollment_document_add(
            document=enrollment_document, upload=upload("proof.pdf"), by=None
        )
    sheet = services.compute_sheet(enrollment=enrollment)
    sheet = services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))
    payment = ScheduledPayment.objects.filter(enrollment=enrollment).order_by("pk").first()
    claim = ClaimAttempt.objects.create(
        account=account,
        status_no=status_no,
        date_of_birth=student.date_of_birth,
        student=student,
        succeeded=True,
    )
    email = OutgoingEmail.objects.create(
        to=student.email,
        template_code="account_confirmation",
        language="en",
        subject=f"Hello {last_name}",
        body=f"Dear {last_name}",
        student=student,
    )
    recovery = Recovery.objects.create(
        enrollment=enrollment, sheet=sheet, amount=Decimal("10.00"), reason=f"{last_name} left"
    )
    return StudentFile(
        student=student,
        enrollment=enrollment,
        item=ChecklistItem.objects.get(enrollment=enrollment),
        student_document=student_document,
        enrollment_document=enrollment_document,
        index=DocumentIndex.objects.get(s3_key=enrollment_document.key),
        sheet=sheet,
        payment=payment,
        claim=claim,
        email=email,
        recovery=recovery,
    )


def build_world(capture) -> World:
    """``capture`` is pytest-django's ``django_capture_on_commit_callbacks`` (the index
    rows are written once the upload's transaction commits)."""
    rates = RateScheduleFactory()
    session = SessionFactory(scholar_year=rates.scholar_year)
    program = ProgramFactory()
    SchoolFeeFactory(rates=rates, school=program.school)
    RequiredDocument.objects.create(
        document_type=DocumentType.objects.get(code="proof-of-enrollment")
    )
    users: dict[str, object] = {ANONYMOUS: AnonymousUser()}
    for role, group in LOGINS.items():
        users[role] = StaffUserFactory(group=group, username=f"matrix-{group.lower()}")
    users[NO_GROUP] = StaffUserFactory(username="matrix-nogroup")
    users[Role.SUPERUSER] = UserFactory(
        username="matrix-superuser", is_staff=True, is_superuser=True
    )
    other_counsellor = StaffUserFactory(group="Counsellors", username="matrix-other-counsellor")
    CommunityFareFactory(rates=rates)
    a = _student_file(A_STATUS, A_NAME, session, program, users[Role.COUNSELLOR], capture)
    b = _student_file(B_STATUS, B_NAME, session, program, other_counsellor, capture)
    users[Role.STUDENT] = a.student.user

    invoice = SchoolInvoice.objects.create(
        school=program.school,
        invoice_number="F-2025-17",
        scholar_year=rates.scholar_year,
        session=session,
        issued_on=dt.date(2025, 9, 1),
        total=Decimal("5000.00"),
    )
    for file in (a, b):
        SchoolInvoiceLine.objects.create(
            invoice=invoice,
            enrollment=file.enrollment,
            student=file.student,
            description=f"Tuition {file.student.last_name}",
            amount=Decimal("2500.00"),
        )
    with capture(execute=True):
        invoice_document = SchoolInvoiceDocument(invoice=invoice)
        document_services.document_store(
            document=invoice_document, upload=upload("invoice.pdf"), by=None
        )
    account = BankAccount.objects.create(
        name="Operations",
        institution="Desjardins",
        account_number="4567",
        csv_mapping={"date": "Date", "description": "Description", "amount": "Amount"},
    )
    data = (
        "Date,Description,Amount\n"
        f"2025-09-01,PAIEMENT {a.payment.reference},-{a.payment.amount}\n"
        "2025-09-02,FRAIS BANCAIRES,-2.50\n"
    ).encode()
    statement = services.statement_import(
        account=account, data=data, filename="sept.csv", source_format="csv", by=None
    )
    lines = list(statement.lines.order_by("pk"))
    statement_file = StatementImport.objects.create(
        filename="sept.csv",
        source_format="csv",
        sha256=statement.sha256,
        size=len(data),
        account=account,
        status=StatementImport.Status.DONE,
    )
    match = reconciliation.match_create(
        line=lines[0], parts=[(a.payment, a.payment.amount)], by=None
    )[0]
    rejection = RejectedSuggestion.objects.create(line=lines[1], payment_ids=[], rule="test")
    api_key, _plain = document_services.api_key_create(name="scanner")
    access = DocumentAccess.objects.create(
        document=a.index, s3_key=a.index.s3_key, user=users[Role.STAFF]
    )
    backup = BackupRecord.objects.create(database="avataq", status="succeeded", key="backups/x")
    failed_task = FailedTask.objects.create(
        task_id="0" * 32, task_name="portal.tasks.outgoing_email_send_task", status="FAILURE"
    )
    invitee = StudentFactory(status_no="60000333")
    invitation = Invitation.objects.create(
        student=invitee,
        email="invitee@example.org",
        token_hash="0" * 64,
        created_by=users[Role.STAFF],
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    # Someone else's (B's) bank details, entered by Staff, not confirmed yet.
    details = bank_details_set(
        student=b.student,
        holder_name=B_NAME,
        institution="815",
        transit="30800",
        account="123456789",
        by=users[Role.STAFF],
    )
    run = payment_runs.payment_run_build(due_until=dt.date(2030, 1, 1), by=users[NO_GROUP])
    # Privacy: requests, a correction, a record opened, an alert, a destruction, an incident.
    data_requests = {
        owner: DataRequest.objects.create(
            student=file.student, kind=DataRequest.Kind.ACCESS, received_on=dt.date(2025, 9, 1)
        )
        for owner, file in (("A", a), ("B", b))
    }
    correction = CorrectionRequest.objects.create(
        student=b.student,
        field="last_name",
        current_value=B_NAME,
        proposed_value="Bravo",
        request=DataRequest.objects.create(
            student=b.student, kind=DataRequest.Kind.CORRECTION, received_on=dt.date(2025, 9, 1)
        ),
    )
    record_access = StudentRecordAccess.objects.create(student=b.student, user=users[Role.STAFF])
    alert = PrivacyAlert.objects.create(user=users[Role.STAFF], day=dt.date(2025, 9, 1), files=50)
    destruction = DestructionRecord.objects.create(
        kind="logs", years=2, what="Logs", confirmed_by=users[Role.STAFF]
    )
    incident = ConfidentialityIncident.objects.create(
        nature="A laptop was lost",
        information="Names",
        risk="low",
        risk_assessment="Encrypted disk",
        recorded_by=users[Role.STAFF],
    )
    incident.students.set([b.student])
    world = World(
        a=a,
        b=b,
        users=users,
        invoice=invoice,
        invoice_document=invoice_document,
        invoice_index=DocumentIndex.objects.get(s3_key=invoice_document.key),
        statement=statement,
        line=lines[0],
        match=match,
        data_requests=data_requests,
    )
    world.objects = {
        type(o): o
        for o in [
            statement,
            lines[0],
            match,
            rejection,
            account,
            api_key,
            access,
            backup,
            failed_task,
            invitation,
            rates,
            Group.objects.get(name="Staff"),
            statement_file,
            run,
            details,
            data_requests["B"],
            correction,
            record_access,
            alert,
            destruction,
            incident,
        ]
    }
    return world
