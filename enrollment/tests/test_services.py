import datetime as dt
import itertools

import pytest
from django.db import IntegrityError, transaction

from avataq.tests.factories import StaffUserFactory
from enrollment import services
from enrollment.models import Enrollment
from enrollment.tests.factories import EnrollmentFactory
from scholarships.tests.factories import ProgramFactory, SessionFactory, StudentFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status

STEPS = {
    "submit": lambda e, by: services.enrollment_submit(enrollment=e, by=by),
    "approve": lambda e, by: services.enrollment_approve(enrollment=e, by=by),
    "refuse": lambda e, by: services.enrollment_refuse(enrollment=e, by=by, reason="Incomplete"),
    "activate": lambda e, by: services.enrollment_activate(enrollment=e, by=by),
    "complete": lambda e, by: services.enrollment_complete(enrollment=e, by=by),
    "withdraw": lambda e, by: services.enrollment_withdraw(enrollment=e, by=by, reason="Moved"),
}
LEGAL = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.SUBMITTED, "refuse"): S.REFUSED,
    (S.APPROVED, "activate"): S.ACTIVE,
    (S.ACTIVE, "complete"): S.COMPLETED,
    (S.DRAFT, "withdraw"): S.WITHDRAWN,
    (S.SUBMITTED, "withdraw"): S.WITHDRAWN,
    (S.APPROVED, "withdraw"): S.WITHDRAWN,
    (S.ACTIVE, "withdraw"): S.WITHDRAWN,
}
ILLEGAL = [pair for pair in itertools.product(S.values, STEPS) if pair not in LEGAL]


def make(status: str) -> Enrollment:
    extra = {"withdrawn_on": dt.date(2025, 10, 1)} if status == S.WITHDRAWN else {}
    return EnrollmentFactory(status=status, **extra)


@pytest.mark.parametrize(("start", "action"), list(LEGAL), ids=lambda v: str(v))
def test_every_legal_transition_moves_to_its_target(start, action):
    staff = StaffUserFactory()
    enrollment = make(start)

    STEPS[action](enrollment, staff)

    enrollment.refresh_from_db()
    assert enrollment.status == LEGAL[(start, action)]
    assert enrollment.history.latest().history_user == staff


@pytest.mark.parametrize(("start", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_transition_is_refused_and_changes_nothing(start, action):
    enrollment = make(start)
    before = Enrollment.objects.filter(pk=enrollment.pk).values().get()
    history_rows = enrollment.history.count()

    with pytest.raises(services.TransitionError, match=f"Cannot {action}"):
        STEPS[action](enrollment, StaffUserFactory())

    assert Enrollment.objects.filter(pk=enrollment.pk).values().get() == before
    assert enrollment.history.count() == history_rows


def test_approval_records_who_decided_and_when():
    staff = StaffUserFactory()
    enrollment = make(S.SUBMITTED)

    services.enrollment_approve(enrollment=enrollment, by=staff)

    assert enrollment.decided_by == staff
    assert enrollment.decided_at is not None


def test_submission_records_when():
    enrollment = make(S.DRAFT)

    services.enrollment_submit(enrollment=enrollment, by=None)

    assert enrollment.submitted_at is not None


@pytest.mark.parametrize("action", ["refuse", "withdraw"])
def test_refusal_and_withdrawal_need_a_reason(action):
    enrollment = make(S.SUBMITTED)
    step = getattr(services, f"enrollment_{action}")

    with pytest.raises(services.TransitionError, match="needs a reason"):
        step(enrollment=enrollment, by=StaffUserFactory(), reason="  ")

    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


def test_withdrawal_keeps_its_reason_and_effective_date():
    enrollment = make(S.ACTIVE)

    services.enrollment_withdraw(
        enrollment=enrollment, by=None, reason="Family reasons", effective=dt.date(2025, 10, 15)
    )

    assert (enrollment.withdrawn_on, enrollment.status_reason) == (
        dt.date(2025, 10, 15),
        "Family reasons",
    )


def create(**overrides):
    program = overrides.pop("program", None) or ProgramFactory()
    fields = {
        "student": StudentFactory(),
        "session": SessionFactory(),
        "school": program.school,
        "program": program,
        "load": Enrollment.Load.FULL_TIME,
        "by": None,
        **overrides,
    }
    return services.enrollment_create(**fields)


def test_create_makes_a_draft():
    enrollment = create()

    assert enrollment.status == S.DRAFT
    assert enrollment.history.get().history_type == "+"


def test_create_refuses_a_second_live_enrollment_for_the_same_session():
    first = create()

    with pytest.raises(services.EnrollmentError, match="already has a live enrollment"):
        create(student=first.student, session=first.session)
    assert Enrollment.objects.count() == 1


def test_a_new_enrollment_is_allowed_once_the_previous_one_was_withdrawn():
    first = create()
    services.enrollment_withdraw(enrollment=first, by=None, reason="Changed school")

    second = create(student=first.student, session=first.session)

    assert second.status == S.DRAFT


def test_create_refuses_a_program_the_school_does_not_offer():
    other_school_program = ProgramFactory()

    with pytest.raises(services.EnrollmentError, match="not offered by that school"):
        create(program=ProgramFactory(), school=other_school_program.school)


def test_create_refuses_a_closed_scholar_year():
    session = SessionFactory(scholar_year__is_closed=True)

    with pytest.raises(services.EnrollmentError, match="closed to new enrollments"):
        create(session=session)


def test_update_changes_an_undecided_enrollment():
    enrollment = make(S.SUBMITTED)

    services.enrollment_update(enrollment=enrollment, by=None, load=Enrollment.Load.PART_TIME)

    enrollment.refresh_from_db()
    assert enrollment.load == Enrollment.Load.PART_TIME


def test_update_refuses_to_move_the_status_outside_the_workflow():
    enrollment = make(S.SUBMITTED)

    with pytest.raises(TypeError, match="may not set: decided_at, status"):
        services.enrollment_update(
            enrollment=enrollment, by=None, status=S.APPROVED, decided_at=None, notes="x"
        )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.notes) == (S.SUBMITTED, "")


def test_update_refuses_to_change_a_decided_enrollment_except_its_notes():
    enrollment = make(S.APPROVED)

    with pytest.raises(services.EnrollmentError, match=r"can no longer be changed.*load"):
        services.enrollment_update(enrollment=enrollment, by=None, load=Enrollment.Load.PART_TIME)
    services.enrollment_update(enrollment=enrollment, by=None, notes="Called the school")

    enrollment.refresh_from_db()
    assert (enrollment.load, enrollment.notes) == (Enrollment.Load.FULL_TIME, "Called the school")


def test_database_refuses_two_live_enrollments_for_one_student_and_session():
    first = make(S.SUBMITTED)

    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(student=first.student, session=first.session)


def test_database_refuses_a_withdrawal_without_a_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(status=S.WITHDRAWN, withdrawn_on=None)
