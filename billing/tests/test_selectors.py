import datetime as dt
from decimal import Decimal

import pytest

from billing import services
from billing.models import SchoolInvoice, SchoolInvoiceLine
from billing.selectors import invoice_discrepancies, invoice_lines_without_approved_enrollment
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory, SchoolFeeFactory
from enrollment.tests.factories import EnrollmentFactory
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def validated():
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(status="approved", session__scholar_year=rates.scholar_year)
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    SchoolFeeFactory(rates=rates, school=enrollment.school, fee=Decimal("2500.00"))
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))
    return enrollment


def invoice(enrollment, lines):
    inv = SchoolInvoice.objects.create(
        school=enrollment.school,
        invoice_number="INV-1",
        scholar_year=enrollment.session.scholar_year,
        session=enrollment.session,
        issued_on=dt.date(2025, 9, 15),
        total=sum(a for _, a in lines),
    )
    for student, amount in lines:
        SchoolInvoiceLine.objects.create(invoice=inv, student=student, amount=amount)
    return inv


def test_the_discrepancy_report_sets_computed_tuition_against_the_invoice(validated):
    invoice(validated, [(validated.student, Decimal("2750.00"))])

    [row] = invoice_discrepancies()

    assert (row.session, row.school) == (validated.session, validated.school)
    assert (row.computed, row.invoiced, row.difference) == (
        Decimal("2500.00"),
        Decimal("2750.00"),
        Decimal("250.00"),
    )


def test_invoice_lines_for_students_without_an_approved_enrollment_are_listed(validated):
    stranger = StudentFactory()
    invoice(validated, [(validated.student, Decimal("2500.00")), (stranger, Decimal("2500.00"))])

    assert [line.student for line in invoice_lines_without_approved_enrollment()] == [stranger]


def test_invoices_move_received_approved_paid_and_no_other_way(validated):
    inv = invoice(validated, [(validated.student, Decimal("2500.00"))])

    with pytest.raises(
        services.BillingError, match="Cannot mark an invoice that is received as paid"
    ):
        services.invoice_mark(invoice=inv, status="paid")
    services.invoice_mark(invoice=inv, status="approved")

    assert services.invoice_mark(invoice=inv, status="paid").status == "paid"
