"""Any input a student can send to the direct-deposit and correction forms: a clear 4xx
(the form again, naming the problem) or a correct stored result, never a 500, never a
partial write (hypothesis)."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models_payments import BankDetails
from portal.models_privacy import CorrectionRequest, DataRequest

pytestmark = pytest.mark.django_db
DB = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
digits = st.text(st.sampled_from("0123456789 -"), max_size=14)


@DB
@given(
    holder_name=text,
    institution=st.one_of(text, digits),
    transit=st.one_of(text, digits),
    account=st.one_of(text, digits),
    same=st.booleans(),
)
def test_any_direct_deposit_answers_below_500_and_a_refusal_stores_nothing(
    student_client, student, holder_name, institution, transit, account, same
):
    before = BankDetails.objects.filter(student=student).count()
    body = {
        "holder_name": holder_name,
        "institution": institution,
        "transit": transit,
        "account": account,
        "account_again": account if same else account + "1",
    }

    response = student_client.post("/my/direct-deposit/", body)

    assert response.status_code < 500
    after = BankDetails.objects.filter(student=student)
    if response.status_code == 302:
        details = after.get()
        assert details.status == BankDetails.Status.PENDING  # waits for staff
        assert details.account_last3 == re.sub(r"[\s-]", "", account)[-3:]  # stored exactly
    else:
        assert after.count() == before


@DB
@given(field=st.one_of(text, st.sampled_from(["first_name", "last_name", "date_of_birth",
                                                 "email", "phone"])),
       proposed_value=text, explanation=text)  # fmt: skip
def test_any_correction_request_answers_below_500_and_a_refusal_stores_nothing(
    student_client, student, field, proposed_value, explanation
):
    before = (CorrectionRequest.objects.count(), DataRequest.objects.count())

    response = student_client.post(
        "/my/privacy/corrections/",
        {"field": field, "proposed_value": proposed_value, "explanation": explanation},
    )

    assert response.status_code < 500
    if response.status_code != 302:
        assert response.status_code == 400
        assert (CorrectionRequest.objects.count(), DataRequest.objects.count()) == before
