"""Every write to an enrollment, and every step of its workflow.

    draft → submitted → approved → active → completed
              └→ refused      (any live status before completion) → withdrawn

Each step locks the row, checks the transition, and writes the status, who decided and
when, in one transaction; an illegal step raises :class:`TransitionError` and changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.checklist import checklist_sync
from enrollment.models import Enrollment
from enrollment.signals import (
    enrollment_approved,
    enrollment_refused,
    enrollment_submitted,
    enrollment_withdrawn,
)
from scholarships.models import Program, School, Session, Student

Status = Enrollment.Status


class EnrollmentError(Exception):
    """A request about an enrollment that cannot be carried out; the message says why."""


class TransitionError(EnrollmentError):
    pass


# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({Status.DRAFT}), Status.SUBMITTED),
    "approve": (frozenset({Status.SUBMITTED}), Status.APPROVED),
    "refuse": (frozenset({Status.SUBMITTED}), Status.REFUSED),
    "activate": (frozenset({Status.APPROVED}), Status.ACTIVE),
    "complete": (frozenset({Status.ACTIVE}), Status.COMPLETED),
    "withdraw": (
        frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ACTIVE}),
        Status.WITHDRAWN,
    ),
}
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED})


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _save(enrollment: Enrollment, by: AbstractBaseUser | None, **kwargs: object) -> None:
    enrollment._history_user = by
    try:
        with transaction.atomic():
            enrollment.save(**kwargs)
    except IntegrityError as exc:
        # A concurrent writer got past full_clean() first; the database had the last word.
        if "enrollment_one_live_per_student_session" in str(exc):
            raise EnrollmentError(
                "This student already has a live enrollment for this session."
            ) from None
        raise


@transaction.atomic
def enrollment_create(
    *,
    student: Student,
    session: Session,
    school: School,
    program: Program,
    load: str,
    credits: Decimal = Decimal("0"),
    residence: str = Enrollment.Residence.OFF_CAMPUS,
    notes: str = "",
    by: AbstractBaseUser | None,
) -> Enrollment:
    """A new draft enrollment."""
    if session.scholar_year.is_closed:
        raise EnrollmentError(f"Scholar year {session.scholar_year} is closed to new enrollments.")
    enrollment = Enrollment(
        student=student,
        session=session,
        school=school,
        program=program,
        load=load,
        credits=credits,
        residence=residence,
        notes=notes,
    )
    try:
        enrollment.full_clean()
    except ValidationError as exc:
        raise EnrollmentError(_messages(exc)) from None
    _save(enrollment, by)
    return enrollment


@transaction.atomic
def enrollment_update(
    *, enrollment: Enrollment, by: AbstractBaseUser | None, **changes: object
) -> Enrollment:
    """Change the details of an enrollment that is not decided yet (draft or submitted);
    once decided, only ``notes`` may change."""
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    changed = {name for name, value in changes.items() if getattr(locked, name) != value}
    if locked.status not in EDITABLE_STATUSES and changed - {"notes"}:
        raise EnrollmentError(
            f"An enrollment that is {locked.get_status_display().lower()} can no longer be "
            f"changed (only its notes): {', '.join(sorted(changed - {'notes'}))}."
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    try:
        locked.full_clean()
    except ValidationError as exc:
        raise EnrollmentError(_messages(exc)) from None
    _save(locked, by)
    return locked


def _transition(
    enrollment: Enrollment, action: str, by: AbstractBaseUser | None, **fields: object
) -> Enrollment:
    sources, target = TRANSITIONS[action]
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.status not in sources:
        raise TransitionError(
            f"Cannot {action} an enrollment that is {locked.get_status_display().lower()}."
        )
    locked.status = target
    for name, value in fields.items():
        setattr(locked, name, value)
    try:
        locked.full_clean()
    except ValidationError as exc:
        raise TransitionError(_messages(exc)) from None
    _save(locked, by, update_fields=["status", "updated_at", *fields])
    enrollment.refresh_from_db()
    return enrollment


@transaction.atomic
def enrollment_submit(*, enrollment: Enrollment, by: AbstractBaseUser | None) -> Enrollment:
    enrollment = _transition(enrollment, "submit", by, submitted_at=timezone.now())
    checklist_sync(enrollment=enrollment)
    enrollment_submitted.send(sender=Enrollment, enrollment=enrollment)
    return enrollment


@transaction.atomic
def enrollment_approve(*, enrollment: Enrollment, by: AbstractBaseUser) -> Enrollment:
    enrollment = _transition(enrollment, "approve", by, decided_by=by, decided_at=timezone.now())
    enrollment_approved.send(sender=Enrollment, enrollment=enrollment)
    return enrollment


@transaction.atomic
def enrollment_refuse(*, enrollment: Enrollment, by: AbstractBaseUser, reason: str) -> Enrollment:
    if not reason.strip():
        raise TransitionError("Refusing an enrollment needs a reason.")
    enrollment = _transition(
        enrollment, "refuse", by, decided_by=by, decided_at=timezone.now(),
        status_reason=reason.strip(),
    )  # fmt: skip
    enrollment_refused.send(sender=Enrollment, enrollment=enrollment)
    return enrollment


@transaction.atomic
def enrollment_activate(*, enrollment: Enrollment, by: AbstractBaseUser | None) -> Enrollment:
    return _transition(enrollment, "activate", by)


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, by: AbstractBaseUser | None) -> Enrollment:
    return _transition(enrollment, "complete", by)


@transaction.atomic
def enrollment_withdraw(
    *,
    enrollment: Enrollment,
    by: AbstractBaseUser | None,
    reason: str,
    effective: dt.date | None = None,
) -> Enrollment:
    if not reason.strip():
        raise TransitionError("Withdrawing an enrollment needs a reason.")
    enrollment = _transition(
        enrollment, "withdraw", by, withdrawn_on=effective or timezone.localdate(),
        status_reason=reason.strip(),
    )  # fmt: skip
    enrollment_withdrawn.send(sender=Enrollment, enrollment=enrollment)
    return enrollment
