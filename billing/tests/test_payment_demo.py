"""The demo's bank details and payment runs."""

import pytest

from billing.demo import DEMO_PREPARER, billing_demo_seed, payments_demo_seed
from billing.models import BankDetails, PaymentRun
from portal.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    from enrollment.demo import demo_seed

    with django_capture_on_commit_callbacks(execute=True):
        demo_seed(students=30)
    billing_demo_seed()
    with django_capture_on_commit_callbacks(execute=True):
        payments_demo_seed()


def test_the_demo_has_one_approved_run_and_one_waiting_for_approval(demo):
    assert sorted(PaymentRun.objects.values_list("status", flat=True)) == ["approved", "prepared"]


def test_the_waiting_run_can_be_approved_by_the_finance_login(demo):
    waiting = PaymentRun.objects.get(status="prepared")

    assert waiting.prepared_by.username == DEMO_PREPARER
    assert waiting.payment_count > 0


def test_the_demo_students_and_schools_have_details_some_still_waiting(demo):
    statuses = set(BankDetails.objects.values_list("status", flat=True))

    assert BankDetails.objects.filter(school__isnull=False).exists()
    assert statuses == {"pending", "confirmed"}


def test_the_demo_emails_nobody_about_its_bank_details(demo):
    assert not OutgoingEmail.objects.filter(template_code__contains="bank").exists()


def test_the_demo_adds_its_runs_once(demo):
    assert payments_demo_seed() == 0
    assert PaymentRun.objects.count() == 2
