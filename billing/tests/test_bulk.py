import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.bulk import sheets_compute_bulk
from billing.models import ComputingSheet, ScheduledPayment
from billing.rules import compute_lines
from billing.services import rates_of, situation_of
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
from enrollment.models import Enrollment
from enrollment.tests.factories import EnrollmentFactory
from scholarships.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def session_with(count: int):
    rates = RateScheduleFactory()
    session = SessionFactory(scholar_year=rates.scholar_year)
    for i in range(count):
        enrollment = EnrollmentFactory(
            session=session, status="approved", student__dependants=i % 3
        )
        CommunityFareFactory(rates=rates, community=enrollment.student.community)
    return session, rates


def test_bulk_computes_the_same_lines_as_the_rules_and_schedules_payments():
    session, rates = session_with(4)

    report = sheets_compute_bulk(
        enrollments=Enrollment.objects.filter(session=session),
        validate=True,
        today=dt.date(2025, 8, 1),
    )

    assert (report.computed, report.validated) == (4, 4)
    for sheet in ComputingSheet.objects.select_related(
        "enrollment__student__community", "enrollment__session", "enrollment__school"
    ):
        enrollment = sheet.enrollment
        expected = compute_lines(
            rates_of(rates),
            situation_of(
                enrollment,
                None,
                rates.fares.get(community=enrollment.student.community).round_trip_fare,
            ),
        )
        assert sorted((x.code, x.amount) for x in sheet.lines.all()) == sorted(
            (x.code, x.amount) for x in expected
        )
        payments = ScheduledPayment.objects.filter(sheet=sheet)
        assert sum(p.amount for p in payments) == sheet.total
        assert payments.first().reference.startswith(f"AVQ-{session.code}-")


def test_bulk_uses_bulk_inserts_a_fixed_number_of_queries():
    session, _ = session_with(3)
    with CaptureQueriesContext(connection) as three:
        sheets_compute_bulk(enrollments=Enrollment.objects.filter(session=session), validate=True)
    more, _ = session_with(12)
    with CaptureQueriesContext(connection) as twelve:
        sheets_compute_bulk(enrollments=Enrollment.objects.filter(session=more), validate=True)

    assert len(three) == len(twelve)


def test_the_command_names_the_session_and_reports(capsys):
    session, _ = session_with(2)
    out = io.StringIO()

    call_command("compute_sheets", "--session", session.code, "--validate", stdout=out)

    assert "2 sheets computed, 2 validated" in out.getvalue()


def test_the_command_refuses_a_malformed_session():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="give a year and F, W or S"):
        call_command("compute_sheets", "--session", "fall")


def test_the_demo_data_validates_sheets_for_started_sessions(django_capture_on_commit_callbacks):
    from billing.demo import billing_demo_seed
    from enrollment.demo import demo_seed

    with django_capture_on_commit_callbacks(execute=True):
        demo_seed(students=20)
    validated = billing_demo_seed()

    assert validated > 0
    assert ComputingSheet.objects.filter(status="validated").count() == validated
    assert billing_demo_seed() == 0  # idempotent: sheets exist


def test_bulk_validation_emails_each_student_as_one_at_a_time_does():
    from portal.models import OutgoingEmail

    session, _ = session_with(3)

    report = sheets_compute_bulk(
        enrollments=Enrollment.objects.filter(session=session), validate=True
    )

    emails = OutgoingEmail.objects.filter(template_code="sheet_validated")
    assert report.validated == 3 and emails.count() == 3
    assert set(emails.values_list("student__enrollments__session", flat=True)) == {session.pk}
