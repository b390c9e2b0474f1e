"""Any input at the payment screens' boundaries: a clear 4xx or a correct stored result,
never a 500, never a partial write (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avataq.tests.factories import StaffUserFactory
from billing.models_payments import PaymentRun, PaymentRunItem
from billing.tests.factories_payments import validated_living_payments

pytestmark = pytest.mark.django_db
DB = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What a browser can send in a form field (the test client refuses lone surrogates).
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
dates = st.one_of(text, st.dates().map(str))


def runs() -> tuple[int, int]:
    return PaymentRun.objects.count(), PaymentRunItem.objects.count()


@pytest.fixture
def finance(client):
    validated_living_payments()
    client.force_login(StaffUserFactory(group="Finance"))
    return client


@DB
@given(
    due_until=dates,
    payee_kind=st.one_of(text, st.sampled_from(["", "student", "school"])),
    session=st.one_of(text, st.integers(-5, 10**12).map(str)),
    execution_date=dates,
)
def test_any_run_build_answers_below_500_and_a_refusal_stores_no_run(
    finance, due_until, payee_kind, session, execution_date
):
    before = runs()
    body = {
        "due_until": due_until,
        "payee_kind": payee_kind,
        "session": session,
        "execution_date": execution_date,
    }

    response = finance.post("/finance/runs/build/", body)

    assert response.status_code < 500
    if response.status_code != 302 or response["Location"] == "/finance/runs/":
        assert runs() == before  # refused: nothing kept
    else:
        assert runs()[0] == before[0] + 1  # built: one run, its own page


@DB
@given(month=text, fmt=st.one_of(text, st.sampled_from(["gl", "xero"])))
def test_any_ledger_export_request_answers_below_500(finance, month, fmt):
    response = finance.get("/finance/ledger/", {"month": month, "format": fmt})

    assert response.status_code < 500
    if response.status_code == 200 and response["Content-Type"].startswith("text/csv"):
        assert response.content.decode("utf-8-sig").splitlines()[0]  # a header row
