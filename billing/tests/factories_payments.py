import datetime as dt

from billing import services
from billing.models import ScheduledPayment
from billing.tests.factories import CommunityFareFactory, RateScheduleFactory
from enrollment.tests.factories import EnrollmentFactory


def validated_living_payments() -> list[ScheduledPayment]:
    """Student 12345's fall 2025 sheet, validated: its four monthly living payments."""
    rates = RateScheduleFactory()
    enrollment = EnrollmentFactory(
        status="approved", student__status_no="12345", session__scholar_year=rates.scholar_year
    )
    CommunityFareFactory(rates=rates, community=enrollment.student.community)
    sheet = services.compute_sheet(enrollment=enrollment)
    services.sheet_validate(sheet=sheet, by=None, today=dt.date(2025, 8, 1))
    return list(ScheduledPayment.objects.filter(code="LIVING").order_by("period"))
