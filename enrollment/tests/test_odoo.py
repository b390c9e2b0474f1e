"""The cut-over from Odoo: inscriptions become enrollments, as history."""

import datetime as dt

import pytest

from enrollment.models import Enrollment

pytestmark = pytest.mark.django_db


def test_a_datetime_after_midnight_utc_keeps_its_instant(imported):
    enrollment = Enrollment.objects.get(student__status_no="10234", session__term="fall")
    assert enrollment.submitted_at == dt.datetime(2024, 6, 1, 3, 30, tzinfo=dt.UTC)


def test_a_withdrawal_date_written_as_utc_datetime_is_the_montreal_date(imported):
    # 2024-10-01 03:15 UTC is 23:15 on September 30 in Montreal (EDT, UTC-4).
    enrollment = Enrollment.objects.get(student__status_no="30789")
    assert enrollment.status == Enrollment.Status.WITHDRAWN
    assert enrollment.withdrawn_on == dt.date(2024, 9, 30)


def test_odoo_states_become_our_statuses_without_replaying_the_workflow(imported):
    statuses = sorted(Enrollment.objects.values_list("status", flat=True))
    assert statuses == ["active", "approved", "completed", "withdrawn"]


def test_a_multi_line_note_is_kept_with_its_line_break(imported):
    enrollment = Enrollment.objects.get(student__status_no="10234", session__term="fall")
    assert enrollment.notes == (
        "Première session à Montréal.\nLogement trouvé : résidence du cégep."
    )


def test_imported_enrollments_have_a_history_entry_saying_so(imported):
    enrollment = Enrollment.objects.get(student__status_no="20456")
    assert enrollment.history.first().history_change_reason == "Imported from Odoo"
