"""Every lock the project takes, in one place.

**Row locks** are taken with :func:`lock`, never with an inline ``select_for_update``
across models: it locks the rows of several models in one fixed global order — the
model's rank in :data:`LOCK_ORDER`, then the primary key — so two transactions that need
the same rows wait for each other instead of deadlocking. A service that needs rows of
several models asks for them in one call, before it reads what it will change; a service
that must lock in two steps (it learns which rows only from the first) locks the earlier
model first (:func:`in_order` says which that is).

**Advisory locks** (a lock on a name rather than a row) are the members of
:class:`Advisory`: session locks held by a backup run's own connection, and transaction
locks serialising writers of one S3 key or claims of one status number. A transaction
takes its row locks before its advisory locks (a document's rows, then its key).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import QuerySet

from avataq.errors import AvataqError

# Parents before children, the way the money flows: an account and its invitation, a
# student, their enrollments, each enrollment's checklist and documents, its sheets, what
# the program owes (school invoices, scheduled payments), then the bank's side — a
# statement's lines, the matches between a line and what it pays, the statement; the
# index rows of stored documents; outgoing emails last. A model missing here cannot be
# locked with :func:`lock` (add it where its relations put it).
LOCK_ORDER: tuple[str, ...] = (
    "auth.user",
    "portal.account",
    "portal.invitation",
    "scholarships.scholaryear",
    "scholarships.student",
    "scholarships.studentdocument",
    "portal.datarequest",
    "portal.correctionrequest",
    "enrollment.enrollment",
    "enrollment.checklistitem",
    "enrollment.enrollmentdocument",
    "billing.computingsheet",
    "billing.schoolinvoice",
    "billing.schoolinvoicedocument",
    "billing.bankdetails",
    "billing.paymentrun",
    "billing.scheduledpayment",
    "billing.bankaccount",
    "billing.statementimport",
    "billing.statementline",
    "billing.match",
    # A statement's row serialises the refresh of its proposals, which follows the
    # matches that change them: locked after them.
    "billing.bankstatement",
    "billing.ledgeraccount",
    "portal.retentionrule",
    "documents.documentindex",
    "portal.outgoingemail",
)
_RANK = {label: rank for rank, label in enumerate(LOCK_ORDER)}


class LockOrderError(AvataqError):
    """A lock asked for in a way the rules refuse (a programming error): a model with no
    place in the order, or outside a transaction."""

    code = "lock_order"


def _rank(model: type[models.Model]) -> int:
    label = model._meta.label_lower
    if label not in _RANK:
        raise LockOrderError(f"{label} has no place in avataq.locks.LOCK_ORDER")
    return _RANK[label]


def lock(*querysets: QuerySet, no_key: bool = True) -> list[list[models.Model]]:
    """Lock the rows of ``querysets`` (each of one model) in the global order, inside the
    current transaction, and return each queryset's rows (in primary-key order).

    By default the lock is PostgreSQL's ``FOR NO KEY UPDATE``, the lock an ``UPDATE``
    takes: two of them wait for each other, but a row inserted elsewhere that references
    a locked row (whose foreign key check takes ``KEY SHARE``) does not wait — otherwise a
    student's upload holding the student row and a staff member filing a document for
    them (which references it) deadlock. ``no_key=False`` (``FOR UPDATE``) only to delete
    the rows or change their key."""
    if not connection.in_atomic_block:
        raise LockOrderError("avataq.locks.lock needs a transaction (transaction.atomic)")
    ordered = sorted(enumerate(querysets), key=lambda item: _rank(item[1].model))
    rows: dict[int, list[models.Model]] = {}
    for index, queryset in ordered:
        locking = queryset.select_for_update(no_key=no_key, of=("self",))
        if not locking.query.is_sliced:  # a slice (a batch) is ordered by pk by its caller
            locking = locking.order_by("pk")
        rows[index] = list(locking)
    return [rows[index] for index in range(len(querysets))]


def lock_one(queryset: QuerySet, *, no_key: bool = True) -> models.Model:
    """The one row ``queryset`` selects, locked (``DoesNotExist`` when there is none)."""
    (found,) = lock(queryset, no_key=no_key)
    if not found:
        raise queryset.model.DoesNotExist(f"no {queryset.model._meta.verbose_name} to lock")
    return found[0]


class Advisory(enum.IntEnum):
    """Every advisory lock of the project. A session lock (the backups') is one bigint key
    held by a connection until it closes (its process dying releases it); a transaction
    lock is this number and a hash of a name (PostgreSQL's two-key form, a key space of
    its own), released when the transaction ends."""

    # Session locks of the backup commands (on the run's own connection).
    BACKUP = 0x41564151  # "AVAQ"
    VERIFY = 0x41565156  # "AVQV"
    # Transaction locks: writers of one document key; claims of one status number.
    DOCUMENT_KEY = 1
    STUDENT_CLAIM = 2

    @property
    def is_session_lock(self) -> bool:
        return self in (Advisory.BACKUP, Advisory.VERIFY)


def advisory_xact_lock(kind: Advisory, name: str) -> None:
    """Wait for, then hold until the transaction ends, the ``kind`` lock on ``name``."""
    if kind.is_session_lock:
        raise TypeError(f"{kind.name} is a session lock (avataq.backups.postgres.holding)")
    if not connection.in_atomic_block:
        raise LockOrderError("an advisory transaction lock needs a transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [int(kind), name])


def in_order(models_: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    """``models_`` sorted in the global lock order (for code locking in several steps)."""
    return sorted(models_, key=_rank)


__all__ = [
    "LOCK_ORDER",
    "Advisory",
    "LockOrderError",
    "advisory_xact_lock",
    "in_order",
    "lock",
    "lock_one",
]
