"""Demo billing data: a rate schedule per demo year with fares and school fees, and
validated sheets for the approved enrollments of sessions that have started."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.bulk import sheets_compute_bulk
from billing.models import CommunityFare, RateSchedule, SchoolFee
from enrollment.models import Enrollment
from scholarships.models import Community, ScholarYear, School

FARES = {  # return fares to Montréal, roughly by distance
    "kuujjuaraapik": "1650", "umiujaq": "1900", "inukjuak": "2100", "puvirnituq": "2250",
    "akulivik": "2450", "ivujivik": "2600", "salluit": "2600", "kangiqsujuaq": "2500",
    "quaqtaq": "2450", "kangirsuk": "2350", "aupaluk": "2300", "tasiujaq": "2250",
    "kuujjuaq": "1950", "kangiqsualujjuaq": "2200",
}  # fmt: skip


@transaction.atomic
def billing_demo_seed(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    communities = {c.code: c for c in Community.objects.all()}
    for year in ScholarYear.objects.all():
        rates, created = RateSchedule.objects.get_or_create(
            scholar_year=year,
            defaults={
                "tuition_cap": Decimal("3200.00"), "books_full_time": Decimal("450.00"),
                "books_part_time": Decimal("225.00"), "living_single": Decimal("1150.00"),
                "living_with_spouse": Decimal("1725.00"), "living_per_dependant": Decimal("310.00"),
                "housing_supplement": Decimal("475.00"), "round_trips_per_session": 1,
                "childcare_per_dependant": Decimal("260.00"), "payment_day": 1,
            },
        )  # fmt: skip
        if created:
            CommunityFare.objects.bulk_create(
                [
                    CommunityFare(rates=rates, community=communities[code],
                                  round_trip_fare=Decimal(fare))
                    for code, fare in FARES.items()
                    if code in communities
                ]
            )  # fmt: skip
            SchoolFee.objects.bulk_create(
                [SchoolFee(rates=rates, school=school, load=load,
                           fee=Decimal("2900.00") if load == "full_time" else Decimal("1450.00"))
                 for school in School.objects.all() for load in ("full_time", "part_time")]
            )  # fmt: skip
    started = Enrollment.objects.filter(
        session__start_date__lte=today, status__in=["approved", "active", "completed"]
    )
    return sheets_compute_bulk(enrollments=started, validate=True, today=today).validated
