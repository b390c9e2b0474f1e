from decimal import Decimal

import factory

from billing.models import CommunityFare, RateSchedule, SchoolFee
from scholarships.tests.factories import CommunityFactory, ScholarYearFactory


class RateScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateSchedule
        django_get_or_create = ["scholar_year"]

    scholar_year = factory.SubFactory(ScholarYearFactory)
    tuition_cap = Decimal("3000.00")
    books_full_time = Decimal("400.00")
    books_part_time = Decimal("200.00")
    living_single = Decimal("1100.00")
    living_with_spouse = Decimal("1650.00")
    living_per_dependant = Decimal("300.00")
    housing_supplement = Decimal("450.00")
    round_trips_per_session = 1
    childcare_per_dependant = Decimal("250.00")
    payment_day = 1


class CommunityFareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityFare
        django_get_or_create = ["rates", "community"]

    rates = factory.SubFactory(RateScheduleFactory)
    community = factory.SubFactory(CommunityFactory)
    round_trip_fare = Decimal("2400.00")


class SchoolFeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolFee

    rates = factory.SubFactory(RateScheduleFactory)
    fee = Decimal("2500.00")
    load = "full_time"
