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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from avataq import locks
from avataq.errors import AvataqError
from avataq.services import model_update
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


class EnrollmentError(AvataqError):
    """A request about an enrollment that cannot be carried out; the message says why."""

    code = "enrollment"


class TransitionError(EnrollmentError):
    code = "transition"


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
# The steps that need a reason from whoever takes them (a page asks for it first).
STEPS_WITH_A_REASON = frozenset({"refuse", "withdraw"})
# What each step is called on a button, in the order of the workflow.
STEP_LABELS = {
    "submit": _("Submit"),
    "approve": _("Approve"),
    "activate": _("Mark active"),
    "complete": _("Complete"),
    "refuse": _("Refuse…"),
    "withdraw": _("Withdraw…"),
}


def steps_from(status: str) -> list[str]:
    """The workflow steps an enrollment in ``status`` may take, in workflow order."""
    return [step for step in STEP_LABELS if status in TRANSITIONS[step][0]]


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
                gettext("This student already has a live enrollment for this session.")
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
        raise EnrollmentError(
            gettext("Scholar year %(year)s is closed to new enrollments.")
            % {"year": session.scholar_year}
        )
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


# What enrollment_update may change (the rest is the workflow's: status, its dates, who
# decided and why).
UPDATABLE_FIELDS = (
    "student",
    "session",
    "school",
    "program",
    "load",
    "credits",
    "residence",
    "notes",
)


@transaction.atomic
def enrollment_update(
    *, enrollment: Enrollment, by: AbstractBaseUser | None, **changes: object
) -> Enrollment:
    """Change the details of an enrollment that is not decided yet (draft or submitted);
    once decided, only ``notes`` may change. Only :data:`UPDATABLE_FIELDS`: the status
    and its dates move through the workflow's steps alone."""
    locked = locks.lock_one(Enrollment.objects.filter(pk=enrollment.pk))
    status = locked.status
    changed = set(model_update(instance=locked, fields=UPDATABLE_FIELDS, data=changes))
    if status not in Enrollment.EDITABLE_STATUSES and changed - {"notes"}:
        raise EnrollmentError(
            gettext(
                "An enrollment that is %(status)s can no longer be changed (only its notes): "
                "%(fields)s."
            )
            % {
                "status": locked.get_status_display().lower(),
                "fields": ", ".join(sorted(changed - {"notes"})),
            }
        )
    try:
        locked.full_clean()
    except ValidationError as exc:
        raise EnrollmentError(_messages(exc)) from None
    _save(locked, by)
    return locked


# The steps as verbs in a sentence ("Cannot approve an enrollment that is draft.").
STEP_VERBS = {
    "submit": _("submit"),
    "approve": _("approve"),
    "activate": _("activate"),
    "complete": _("complete"),
    "refuse": _("refuse"),
    "withdraw": _("withdraw"),
}


def _transition(
    enrollment: Enrollment, action: str, by: AbstractBaseUser | None, **fields: object
) -> Enrollment:
    sources, target = TRANSITIONS[action]
    locked = locks.lock_one(Enrollment.objects.filter(pk=enrollment.pk))
    if locked.status not in sources:
        raise TransitionError(
            gettext("Cannot %(step)s an enrollment that is %(status)s.")
            % {"step": STEP_VERBS[action], "status": locked.get_status_display().lower()}
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
    checklist_sync(enrollment=enrollment, by=by)
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
        raise TransitionError(gettext("Refusing an enrollment needs a reason."))
    enrollment = _transition(
        enrollment,
        "refuse",
        by,
        decided_by=by,
        decided_at=timezone.now(),
        status_reason=reason.strip(),
    )
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
        raise TransitionError(gettext("Withdrawing an enrollment needs a reason."))
    enrollment = _transition(
        enrollment,
        "withdraw",
        by,
        withdrawn_on=effective or timezone.localdate(),
        status_reason=reason.strip(),
    )
    enrollment_withdrawn.send(sender=Enrollment, enrollment=enrollment, by=by)
    return enrollment
