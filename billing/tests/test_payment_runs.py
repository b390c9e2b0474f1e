import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from billing.models import (
    BankDetailsAccess,
    PaymentRun,
    PaymentRunExclusion,
    ScheduledPayment,
)
from billing.payments import cpa005, pain001
from billing.payments.errors import FourEyes, PaymentError, RunStateError
from billing.payments.runs import (
    file_key,
    payment_run_approve,
    payment_run_build,
    payment_run_cancel,
    payment_run_files,
    payment_run_send,
)
from billing.tests.factories_payments import (
    bank_details,
    finance_user,
    validated_living_payments,
)
from documents.storage import document_storage
from enrollment.models import Enrollment
from portal.models import OutgoingEmail

pytestmark = pytest.mark.django_db
NS = {"p": pain001.NAMESPACE}
FAR = dt.date(2030, 1, 1)


@pytest.fixture
def payments():
    found = validated_living_payments()
    student = found[0].enrollment.student
    bank_details(student=student, account="123456789")
    school = found[0].enrollment.school
    bank_details(school=school, account="5550001")
    return found


def _student_payments():
    return ScheduledPayment.objects.filter(payee="student").order_by("pk")


def _approved(by=None):
    run = payment_run_build(due_until=FAR, by=by or finance_user())
    return payment_run_approve(run=run, by=finance_user())


def test_a_run_takes_every_due_payment_with_its_total(payments):
    run = payment_run_build(due_until=FAR, by=finance_user())

    due = ScheduledPayment.objects.filter(status="scheduled")
    assert run.payment_count == due.count()
    assert run.total == sum(p.amount for p in due)


def test_a_run_takes_only_the_payee_kind_asked(payments):
    run = payment_run_build(due_until=FAR, payee_kind="student", by=finance_user())

    assert set(run.items.values_list("payment__payee", flat=True)) == {"student"}


def test_a_run_takes_only_payments_due_by_its_date(payments):
    first = min(p.due_date for p in _student_payments())

    run = payment_run_build(due_until=first, payee_kind="student", by=finance_user())

    assert set(run.items.values_list("payment__due_date", flat=True)) == {first}


def test_a_payee_without_bank_details_is_left_out_with_the_reason():
    validated_living_payments()

    run = payment_run_build(due_until=FAR, by=finance_user())

    assert run.payment_count == 0
    assert set(run.exclusions.values_list("reason", flat=True)) == {"no_details"}


def test_a_payee_with_unconfirmed_details_is_left_out_with_the_reason():
    found = validated_living_payments()
    bank_details(student=found[0].enrollment.student, confirmed=False)

    run = payment_run_build(due_until=FAR, payee_kind="student", by=finance_user())

    assert set(run.exclusions.values_list("reason", flat=True)) == {"unconfirmed"}


def test_a_withdrawn_enrollment_is_left_out_with_the_reason(payments):
    Enrollment.objects.update(status=Enrollment.Status.WITHDRAWN, withdrawn_on=dt.date(2025, 9, 15))

    run = payment_run_build(due_until=FAR, by=finance_user())

    assert run.payment_count == 0
    assert set(run.exclusions.values_list("reason", flat=True)) == {"withdrawn"}


def test_a_payment_is_in_one_live_run_only(payments):
    payment_run_build(due_until=FAR, by=finance_user())

    second = payment_run_build(due_until=FAR, by=finance_user())

    assert second.payment_count == 0


def test_the_preparer_cannot_approve_their_run(payments):
    preparer = finance_user()
    run = payment_run_build(due_until=FAR, by=preparer)

    with pytest.raises(FourEyes):
        payment_run_approve(run=run, by=preparer)
    assert PaymentRun.objects.get().status == PaymentRun.Status.PREPARED


def test_a_second_finance_user_approves_the_run(payments):
    run = _approved()

    assert run.status == PaymentRun.Status.APPROVED


def test_an_approved_run_cannot_be_approved_again(payments):
    run = _approved()

    with pytest.raises(RunStateError):
        payment_run_approve(run=run, by=finance_user())


def test_a_run_that_pays_nothing_is_not_approved():
    validated_living_payments()
    run = payment_run_build(due_until=FAR, by=finance_user())

    with pytest.raises(PaymentError, match="nothing"):
        payment_run_approve(run=run, by=finance_user())


def test_a_prepared_run_cannot_be_sent(payments):
    run = payment_run_build(due_until=FAR, by=finance_user())

    with pytest.raises(RunStateError):
        payment_run_send(run=run, by=finance_user())


def test_cancelling_frees_the_payments_for_another_run(payments):
    run = _approved()

    payment_run_cancel(run=run, by=finance_user())

    assert payment_run_build(due_until=FAR, by=finance_user()).payment_count == run.payment_count


def test_a_sent_run_cannot_be_cancelled(payments, django_capture_on_commit_callbacks):
    run = payment_run_send(run=_approved(), by=None)

    with pytest.raises(RunStateError):
        payment_run_cancel(run=run, by=finance_user())


def test_details_changed_after_approval_stop_the_file(payments):
    run = _approved()
    bank_details(student=payments[0].enrollment.student, confirmed=False, account="7777777")

    with pytest.raises(PaymentError, match="not confirmed"):
        payment_run_send(run=run, by=None)
    assert not ScheduledPayment.objects.filter(status="sent").exists()


def test_the_pain001_file_is_valid_against_the_official_schema(payments):
    files = payment_run_files(_approved(), by=None)

    pain001.validate(files.pain001)  # raises when invalid


def test_a_file_breaking_the_schema_is_refused():
    bad = (
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
        b"<CstmrCdtTrfInitn/></Document>"
    )
    with pytest.raises(pain001.InvalidPaymentFile):
        pain001.validate(bad)


def test_each_payment_reference_is_its_end_to_end_id_and_remittance(payments):
    run = _approved()
    document = etree.fromstring(payment_run_files(run, by=None).pain001)

    transactions = document.findall(".//p:CdtTrfTxInf", NS)
    references = sorted(run.items.values_list("payment__reference", flat=True))
    assert sorted(t.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for t in transactions) == (
        references
    )
    for tx in transactions:
        end_to_end = tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)
        assert tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS).startswith(end_to_end)
        assert tx.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "CAD"


def test_the_pain001_control_sum_is_the_run_total(payments):
    run = _approved()
    document = etree.fromstring(payment_run_files(run, by=None).pain001)

    assert Decimal(document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS)) == run.total
    assert int(document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS)) == run.payment_count


def test_the_full_account_number_is_in_the_file_and_its_reading_logged(payments):
    run = _approved()

    files = payment_run_files(run, by=None)

    assert b"123456789" in files.pain001
    assert BankDetailsAccess.objects.filter(purpose=f"payment file of run {run.pk}").count() == 2


def test_every_cpa005_record_is_1464_bytes(payments):
    data = payment_run_files(_approved(), by=None).cpa005

    records = data.split(b"\r\n")[:-1]
    assert {len(r) for r in records} == {cpa005.RECORD}
    assert [r[:1] for r in (records[0], records[-1])] == [b"A", b"Z"]


def test_the_cpa005_trailer_holds_the_count_and_total_of_credits(payments):
    run = _approved()
    records = payment_run_files(run, by=None).cpa005.split(b"\r\n")[:-1]

    trailer = records[-1].decode()
    assert int(trailer[46:60]) == int(run.total * 100)
    assert int(trailer[60:68]) == run.payment_count
    assert int(trailer[24:38]) == 0  # no debits


def test_cpa005_credit_records_hold_six_segments_at_most(payments):
    records = payment_run_files(_approved(), by=None).cpa005.split(b"\r\n")[1:-2]

    segments = [r[24 + i * 240 : 24 + (i + 1) * 240] for r in records for i in range(6)]
    used = [s for s in segments if s.strip()]
    assert len(used) == ScheduledPayment.objects.filter(run_items__active=True).count()
    assert all(s[:3] == b"450" for s in used)
    assert all(r[1:10].decode() == f"{n:09d}" for n, r in enumerate(records, start=2))


def test_sending_marks_the_payments_sent(payments, django_capture_on_commit_callbacks):
    run = _approved()

    payment_run_send(run=run, by=None)

    statuses = set(
        ScheduledPayment.objects.filter(run_items__run=run).values_list("status", flat=True)
    )
    assert statuses == {"sent"}
    assert not ScheduledPayment.objects.filter(run_items__run=run, sent_at=None).exists()


def test_sending_keeps_the_files_under_the_run_and_date_with_their_hash(
    payments, django_capture_on_commit_callbacks
):
    import hashlib

    run = payment_run_send(run=_approved(), by=None)

    assert run.pain001_key == file_key(run, "pain001")
    assert f"run-{run.pk}-{run.execution_date:%Y-%m-%d}" in run.pain001_key
    stored = document_storage().open(run.pain001_key).read()
    assert hashlib.sha256(stored).hexdigest() == run.pain001_sha256


def test_sending_queues_a_remittance_to_the_student_in_their_language(
    payments, django_capture_on_commit_callbacks
):
    student = payments[0].enrollment.student
    student.language, student.email = "fr", "annie@example.org"
    student.save()

    payment_run_send(run=_approved(), by=None)

    email = OutgoingEmail.objects.get(template_code="remittance", student=student)
    assert email.language == "fr"
    assert "123456789" not in email.body
    assert payments[0].reference in email.body


def test_sending_queues_the_school_the_list_of_its_students(
    payments, django_capture_on_commit_callbacks
):
    school = payments[0].enrollment.school
    school.billing_email = "bursar@example.org"
    school.save()

    payment_run_send(run=_approved(), by=None)

    email = OutgoingEmail.objects.get(template_code="remittance", to="bursar@example.org")
    assert payments[0].enrollment.student.status_no in email.body


def test_building_a_run_takes_a_fixed_number_of_queries(payments, django_assert_num_queries):
    finance = finance_user()
    with django_assert_num_queries(11):
        payment_run_build(due_until=FAR, by=finance)


def test_left_out_payments_stay_due(payments):
    Enrollment.objects.update(status=Enrollment.Status.WITHDRAWN, withdrawn_on=dt.date(2025, 9, 15))

    payment_run_build(due_until=FAR, by=finance_user())

    assert PaymentRunExclusion.objects.exists()
    assert not ScheduledPayment.objects.exclude(status="scheduled").exists()
