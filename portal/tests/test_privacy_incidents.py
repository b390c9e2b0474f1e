"""The confidentiality incident register: the people concerned picked from the records,
and the notifications made."""

import datetime as dt

import pytest

from avataq.tests.factories import StaffUserFactory
from portal.models import ConfidentialityIncident
from portal.services.privacy import incident_save
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def _incident(**fields) -> ConfidentialityIncident:
    values = {
        "discovered_on": dt.date(2025, 5, 2),
        "nature": "A laptop was stolen",
        "information": "Names and dates of birth",
        "risk": "serious",
        "risk_assessment": "Identity theft is possible",
    } | fields
    return ConfidentialityIncident(**values)


def test_the_people_concerned_are_picked_from_the_records_and_counted():
    concerned = StudentFactory.create_batch(3)
    staff = StaffUserFactory(group="Staff")

    incident = incident_save(incident=_incident(), students=concerned, by=staff)

    incident.refresh_from_db()
    assert set(incident.students.all()) == set(concerned)
    assert (incident.people_count, incident.recorded_by) == (3, staff)


def test_a_count_of_people_beyond_those_named_is_kept():
    incident = incident_save(
        incident=_incident(people_count=40),
        students=StudentFactory.create_batch(2),
        by=StaffUserFactory(group="Staff"),
    )

    assert ConfidentialityIncident.objects.get(pk=incident.pk).people_count == 40


def test_the_notifications_made_are_recorded_on_the_incident():
    staff = StaffUserFactory(group="Staff")
    incident = incident_save(incident=_incident(), students=[], by=staff)
    incident.regulator_notified_on = dt.date(2025, 5, 4)
    incident.people_notified_on = dt.date(2025, 5, 5)

    incident_save(incident=incident, students=[], by=StaffUserFactory(group="Ops"))

    saved = ConfidentialityIncident.objects.get(pk=incident.pk)
    assert (saved.regulator_notified_on, saved.people_notified_on) == (
        dt.date(2025, 5, 4),
        dt.date(2025, 5, 5),
    )
    assert saved.recorded_by == staff  # who recorded it first stays
