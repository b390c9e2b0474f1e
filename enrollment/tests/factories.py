import factory

from enrollment.models import Enrollment
from scholarships.tests.factories import ProgramFactory, SessionFactory, StudentFactory


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    session = factory.SubFactory(SessionFactory)
    program = factory.SubFactory(ProgramFactory)
    school = factory.SelfAttribute("program.school")
    load = Enrollment.Load.FULL_TIME
    residence = Enrollment.Residence.OFF_CAMPUS
    status = Enrollment.Status.DRAFT
