import datetime as dt

import factory

from scholarships.models import Community, Program, ScholarYear, School, Session, Student


class CommunityFactory(factory.django.DjangoModelFactory):
    """The 14 communities exist (data migration): reuse them by code."""

    class Meta:
        model = Community
        django_get_or_create = ["code"]

    code = "kuujjuaq"
    name = "Kuujjuaq"
    coast = Community.Coast.UNGAVA


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    status_no = factory.Sequence(lambda n: f"{900000 + n}")
    first_name = "Elisapie"
    last_name = factory.Sequence(lambda n: f"Tukalak{n}")
    date_of_birth = dt.date(2003, 4, 12)
    email = factory.LazyAttribute(lambda s: f"student{s.status_no}@example.org")
    community = factory.SubFactory(CommunityFactory)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"College {n}")
    code = factory.Sequence(lambda n: f"college-{n}")
    kind = School.Kind.CEGEP
    city = "Montréal"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    level = Program.Level.COLLEGE_TECHNICAL


class ScholarYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScholarYear
        django_get_or_create = ["code"]

    class Params:
        first = 2025

    code = factory.LazyAttribute(lambda y: f"{y.first}-{y.first + 1}")
    start_date = factory.LazyAttribute(lambda y: dt.date(y.first, 8, 1))
    end_date = factory.LazyAttribute(lambda y: dt.date(y.first + 1, 7, 31))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session
        django_get_or_create = ["scholar_year", "term"]

    scholar_year = factory.SubFactory(ScholarYearFactory)
    term = Session.Term.FALL
    start_date = factory.LazyAttribute(lambda s: dt.date(s.scholar_year.start_date.year, 8, 25))
    end_date = factory.LazyAttribute(lambda s: dt.date(s.scholar_year.start_date.year, 12, 20))
