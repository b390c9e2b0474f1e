"""A validated computing sheet is frozen, in the admin and in the database itself."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from avataq.tests.factories import StaffUserFactory
from billing import services
from billing.models import ComputingSheet, ComputingSheetLine
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
from enrollment.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def validated():
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(status="approved", session__scholar_year=rates.scholar_year)
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    sheet = services.compute_sheet(enrollment=enrollment)
    return services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))


def refused(change) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        change()


def test_the_database_refuses_to_change_a_validated_sheets_amounts(validated):
    refused(lambda: ComputingSheet.objects.filter(pk=validated.pk).update(months=9))
    refused(
        lambda: ComputingSheet.objects.filter(pk=validated.pk).update(
            total=Decimal(1), school_total=Decimal(1), student_total=Decimal(0)
        )
    )


def test_the_database_refuses_to_touch_a_validated_sheets_lines(validated):
    line = validated.lines.first()

    refused(lambda: ComputingSheetLine.objects.filter(pk=line.pk).update(amount=Decimal(1)))
    refused(lambda: ComputingSheetLine.objects.filter(pk=line.pk).delete())


def test_the_database_refuses_a_previous_revision_of_another_enrollment(validated):
    other = EnrollmentFactory(status="approved", session=validated.enrollment.session)
    draft = ComputingSheet.objects.create(enrollment=other, revision=2)

    refused(lambda: ComputingSheet.objects.filter(pk=draft.pk).update(previous=validated))


def test_superseding_and_a_withdrawals_recovery_still_go_through(validated):
    ComputingSheet.objects.filter(pk=validated.pk).update(recovery=Decimal("10.00"))
    ComputingSheet.objects.filter(pk=validated.pk).update(status="superseded")

    validated.refresh_from_db()
    assert (validated.status, validated.recovery) == ("superseded", Decimal("10.00"))


def test_every_field_of_a_sheet_is_read_only_in_the_admin(client, validated):
    client.force_login(StaffUserFactory(group="Finance"))

    page = client.get(f"/admin/billing/computingsheet/{validated.pk}/change/").content.decode()

    assert 'name="previous"' not in page and 'name="computed_at_0"' not in page
