"""The cut-over from Odoo: sheets, payments and bank reconciliation, as history."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import ComputingSheet, Match, ScheduledPayment, SchoolInvoice, StatementLine

pytestmark = pytest.mark.django_db


def test_a_validated_sheet_keeps_odoos_lines_and_amounts(imported):
    sheet = ComputingSheet.objects.get(
        enrollment__student__status_no="10234", enrollment__session__term="fall"
    )
    assert sheet.status == ComputingSheet.Status.VALIDATED
    assert (sheet.total, sheet.school_total, sheet.student_total) == (
        Decimal("5400.00"),
        Decimal("1800.00"),
        Decimal("3600.00"),
    )
    lines = sorted(sheet.lines.values_list("code", "quantity", "unit_amount", "amount", "rule"))
    assert lines == [
        ("LIVING", Decimal("4.00"), Decimal("900.00"), Decimal("3600.00"), "4 mois × 900,00 $"),
        ("TUITION", Decimal("1.00"), Decimal("1800.00"), Decimal("1800.00"), ""),
    ]
    assert sheet.validated_at == dt.datetime(2024, 8, 2, 4, 10, tzinfo=dt.UTC)


def test_a_revision_keeps_the_sheet_it_replaced(imported):
    second = ComputingSheet.objects.get(enrollment__student__status_no="20456", revision=2)
    assert second.previous.revision == 1
    assert second.previous.status == ComputingSheet.Status.SUPERSEDED


def test_a_manual_line_keeps_its_multi_line_reason(imported):
    sheet = ComputingSheet.objects.get(enrollment__student__status_no="20456", revision=2)
    line = sheet.lines.get(code="ADJUST")
    assert line.is_manual
    assert line.reason == "Manuels de soins infirmiers,\nfacture reçue le 2 juillet."


def test_a_draft_sheet_stays_a_draft(imported):
    sheet = ComputingSheet.objects.get(enrollment__session__term="winter")
    assert sheet.status == ComputingSheet.Status.DRAFT
    assert sheet.validated_at is None


def test_payments_keep_their_status_and_dates(imported):
    payments = {
        p.reference: (p.status, p.due_date, p.amount)
        for p in ScheduledPayment.objects.filter(reference__startswith="AVQ-2024F-10234")
    }
    assert payments == {
        "AVQ-2024F-10234-01": ("reconciled", dt.date(2024, 9, 1), Decimal("1800.00")),
        "AVQ-2024F-10234-02": ("reconciled", dt.date(2024, 9, 15), Decimal("900.00")),
        "AVQ-2024F-10234-03": ("paid", dt.date(2024, 10, 15), Decimal("900.00")),
        "AVQ-2024F-10234-04": ("scheduled", dt.date(2024, 11, 15), Decimal("900.00")),
    }


def test_a_cancelled_payment_stays_cancelled(imported):
    assert ScheduledPayment.objects.get(reference="AVQ-2024F-20456-01").status == "cancelled"


def test_reconciled_bank_lines_keep_their_matches(imported):
    line = StatementLine.objects.get(bank_id="DSJ-0916-2")
    match = Match.objects.get(line=line)
    assert match.payment.reference == "AVQ-2024F-20456-02"
    assert match.amount == Decimal("2250.50")
    assert line.matched_amount == Decimal("2250.50")
    assert match.payment.reconciled_amount == Decimal("2250.50")


def test_running_again_makes_no_second_match(imported):
    from avataq.odoo.tests.exports import import_odoo

    import_odoo(str(imported))
    assert Match.objects.count() == 3


def test_a_vendor_bill_of_a_school_becomes_its_invoice(imported):
    invoice = SchoolInvoice.objects.get()
    assert (invoice.school.code, invoice.invoice_number, invoice.total) == (
        "cmv",
        "F-2024-117",
        Decimal("1800.00"),
    )
    assert invoice.status == SchoolInvoice.Status.PAID
    assert list(invoice.lines.values_list("amount", flat=True)) == [Decimal("1800.00")]
