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


def finance_user(username: str = "") -> object:
    from avataq.tests.factories import StaffUserFactory

    return StaffUserFactory(group="Finance", **({"username": username} if username else {}))


def bank_details(*, student=None, school=None, account: str = "1234567", confirmed: bool = True):
    """Canadian direct-deposit details entered by one Finance user and, when
    ``confirmed``, confirmed by another."""
    from billing.payments.bank_details import bank_details_confirm, bank_details_set

    details = bank_details_set(
        student=student,
        school=school,
        holder_name="Annie Qumaq",
        institution="815",
        transit="30800",
        account=account,
        by=finance_user(),
    )
    if confirmed:
        details = bank_details_confirm(details=details, by=finance_user())
    return details
