"""Payment runs: built from due payments (left-out ones listed with the reason), approved
by a second Finance user, cancelled before they are sent, and turned into the bank files
(pain.001 and CPA-005) kept in the documents storage under a deterministic key — which
marks their payments sent and queues the remittances. Each step one transaction; the run
row is locked first, then its payments in primary-key order."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from avataq import locks
from avataq.money import ZERO
from billing.models import (
    BankDetails,
    PaymentRun,
    PaymentRunExclusion,
    PaymentRunItem,
    ScheduledPayment,
)
from billing.payments import cpa005, pain001
from billing.payments.bank_details import bank_details_reveal_many
from billing.payments.errors import FourEyes, PaymentError, RunStateError
from billing.payments.formats import Batch, Debtor, Transfer
from billing.signals import payment_run_sent
from documents.storage import document_storage
from enrollment.models import Enrollment
from scholarships.models import Session

Run = PaymentRun.Status
Payment = ScheduledPayment.Status
Reason = PaymentRunExclusion.Reason
PAYABLE = (Payment.SCHEDULED, Payment.RETURNED)
STORAGE_PREFIX = "finance/payment-runs"


def _state_error(run: PaymentRun, step: str) -> RunStateError:
    return RunStateError(
        gettext("Run %(run)s is %(status)s: it cannot be %(step)s.")
        % {"run": run.pk, "status": run.get_status_display().lower(), "step": step}
    )


def _locked(run: PaymentRun) -> PaymentRun:
    return locks.lock_one(PaymentRun.objects.filter(pk=run.pk))


def due_payments(
    *, due_until: dt.date, payee_kind: str = "", session: Session | None = None
) -> list[ScheduledPayment]:
    """Payments due by ``due_until`` (scheduled, or returned by the bank), in no live run."""
    found = ScheduledPayment.objects.filter(status__in=PAYABLE, due_date__lte=due_until).exclude(
        run_items__active=True
    )
    if payee_kind:
        found = found.filter(payee=payee_kind)
    if session is not None:
        found = found.filter(enrollment__session=session)
    return list(found.order_by("pk"))


@transaction.atomic
def payment_run_build(
    *,
    due_until: dt.date,
    by: AbstractBaseUser,
    payee_kind: str = "",
    session: Session | None = None,
    execution_date: dt.date | None = None,
) -> PaymentRun:
    """A run of the payments due by ``due_until`` (of one payee kind, one session, when
    given). A payment that cannot be paid (no or unconfirmed bank details, a withdrawn
    enrollment) is listed with the reason and left out; it stays due."""
    if payee_kind not in PaymentRun.PayeeKind.values:
        raise PaymentError(
            gettext("Payees must be students or schools, not %(kind)r.") % {"kind": payee_kind}
        )
    today = timezone.localdate()
    execution_date = execution_date or max(today, due_until)
    if execution_date < today:
        raise PaymentError(gettext("The payment date cannot be in the past."))
    candidates = due_payments(due_until=due_until, payee_kind=payee_kind, session=session)
    ids = [p.pk for p in candidates]
    # Lock what the run takes (avataq.locks: payments in primary-key order).
    locks.lock(ScheduledPayment.objects.filter(pk__in=ids).only("pk"))
    rows = list(
        ScheduledPayment.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "amount", "payee", "school_id", "enrollment__student_id", "enrollment__status"
        )
    )
    details = BankDetails.objects.filter(
        Q(student_id__in={r[4] for r in rows}) | Q(school_id__in={r[3] for r in rows if r[3]})
    ).values_list("pk", "student_id", "school_id", "status")
    by_student = {s: (pk, status) for pk, s, _, status in details if s}
    by_school = {s: (pk, status) for pk, _, s, status in details if s}
    run = PaymentRun.objects.create(
        due_until=due_until,
        payee_kind=payee_kind,
        session=session,
        execution_date=execution_date,
        prepared_by=by,
        prepared_at=timezone.now(),
    )
    items, exclusions = [], []
    for pk, amount, payee, school_id, student_id, enrollment_status in rows:
        found = by_school.get(school_id) if payee == "school" else by_student.get(student_id)
        reason = None
        if enrollment_status == Enrollment.Status.WITHDRAWN:
            reason = Reason.WITHDRAWN
        elif amount <= ZERO:
            reason = Reason.NOT_POSITIVE
        elif found is None:
            reason = Reason.NO_DETAILS
        elif found[1] != BankDetails.Status.CONFIRMED:
            reason = Reason.UNCONFIRMED
        if reason:
            exclusions.append(PaymentRunExclusion(run=run, payment_id=pk, reason=reason))
        else:
            items.append(
                PaymentRunItem(run=run, payment_id=pk, bank_details_id=found[0], amount=amount)
            )
    PaymentRunItem.objects.bulk_create(items, batch_size=2000)
    PaymentRunExclusion.objects.bulk_create(exclusions, batch_size=2000)
    run.total = sum((i.amount for i in items), ZERO)
    run.payment_count = len(items)
    run._history_user = by
    run.save(update_fields=["total", "payment_count"])
    return run


def _unconfirmed_items(run: PaymentRun) -> list[str]:
    """References of the run's payments whose bank details changed since it was built."""
    return list(
        run.items.filter(active=True)
        .exclude(bank_details__status=BankDetails.Status.CONFIRMED)
        .values_list("payment__reference", flat=True)[:10]
    )


def _check_details(run: PaymentRun) -> None:
    if stale := _unconfirmed_items(run):
        raise PaymentError(
            gettext(
                "Bank details changed since the run was built and are not confirmed: "
                "%(references)s. Cancel the run and build another."
            )
            % {"references": ", ".join(stale)}
        )


@transaction.atomic
def payment_run_approve(*, run: PaymentRun, by: AbstractBaseUser) -> PaymentRun:
    """Approval by a second Finance user — never the one who prepared the run. It locks
    the run: only its file can follow, or its cancellation."""
    run = _locked(run)
    if run.status != Run.PREPARED:
        raise _state_error(run, gettext("approved"))
    if run.prepared_by_id == by.pk:
        raise FourEyes(gettext("You prepared this run: another Finance user must approve it."))
    if run.payment_count == 0:
        raise PaymentError(gettext("This run pays nothing: there is nothing to approve."))
    _check_details(run)
    run.status, run.approved_by, run.approved_at = Run.APPROVED, by, timezone.now()
    run._history_user = by
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run


@transaction.atomic
def payment_run_cancel(*, run: PaymentRun, by: AbstractBaseUser) -> PaymentRun:
    """Cancel a run not sent to the bank yet: its payments are free for another run."""
    run = _locked(run)
    if run.status not in (Run.PREPARED, Run.APPROVED):
        raise _state_error(run, gettext("cancelled"))
    run.items.update(active=False)
    run.status, run.cancelled_by, run.cancelled_at = Run.CANCELLED, by, timezone.now()
    run._history_user = by
    run.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    return run


def debtor() -> Debtor:
    return Debtor(
        name=settings.PAYMENTS_DEBTOR_NAME,
        institution=settings.PAYMENTS_DEBTOR_INSTITUTION,
        transit=settings.PAYMENTS_DEBTOR_TRANSIT,
        account=settings.PAYMENTS_DEBTOR_ACCOUNT,
    )


def originator() -> cpa005.Originator:
    return cpa005.Originator(
        originator_id=settings.PAYMENTS_CPA_ORIGINATOR_ID,
        data_centre=settings.PAYMENTS_CPA_DATA_CENTRE,
        short_name="AVATAQ",
        long_name=settings.PAYMENTS_DEBTOR_NAME,
    )


def _payee_name(payment: ScheduledPayment, details: BankDetails) -> str:
    return details.holder_name


def run_batch(run: PaymentRun, *, by: AbstractBaseUser | None, purpose: str) -> Batch:
    """The run's transfers, full account numbers included (each reading logged)."""
    items = list(
        run.items.filter(active=True)
        .select_related("payment", "bank_details")
        .order_by("payment__reference")
    )
    details = list({i.bank_details_id: i.bank_details for i in items}.values())
    numbers = bank_details_reveal_many(details=details, by=by, purpose=purpose)
    transfers = [
        Transfer(
            reference=item.payment.reference,
            amount=item.amount,
            payee_name=_payee_name(item.payment, item.bank_details),
            scheme=item.bank_details.scheme,
            institution=item.bank_details.institution,
            transit=item.bank_details.transit,
            account=numbers[item.bank_details_id],
            bic=item.bank_details.bic,
            remittance=item.payment.kind(),
        )
        for item in items
    ]
    return Batch(
        run_id=run.pk,
        created=timezone.localtime(run.approved_at or timezone.now()),
        execution_date=run.execution_date,
        debtor=debtor(),
        transfers=transfers,
    )


def file_key(run: PaymentRun, kind: str) -> str:
    """``finance/payment-runs/{YYYY}/run-{id}-{date}.{ext}``: the run and its date."""
    ext = {"pain001": "pain001.xml", "cpa005": "cpa005.txt"}[kind]
    day = run.execution_date
    return f"{STORAGE_PREFIX}/{day:%Y}/run-{run.pk}-{day:%Y-%m-%d}.{ext}"


@dataclass(frozen=True)
class RunFiles:
    pain001: bytes
    cpa005: bytes


def payment_run_files(run: PaymentRun, *, by: AbstractBaseUser | None) -> RunFiles:
    """Both files of an approved run (read-only; also what the benchmark times)."""
    batch = run_batch(run, by=by, purpose=f"payment file of run {run.pk}")
    return RunFiles(
        pain001=pain001.build(batch),
        cpa005=cpa005.build(batch, originator(), file_number=run.pk),
    )


def payment_run_send(*, run: PaymentRun, by: AbstractBaseUser | None) -> PaymentRun:
    """Produce the approved run's files, keep them (hash recorded), mark its payments
    sent and queue the remittances — all or nothing: a failure removes the files."""
    storage = document_storage()
    written: list[str] = []
    try:
        with transaction.atomic():
            run = _locked(run)
            if run.status != Run.APPROVED:
                raise _state_error(run, gettext("sent to the bank"))
            _check_details(run)
            files = payment_run_files(run, by=by)
            for kind, data in (("pain001", files.pain001), ("cpa005", files.cpa005)):
                key = file_key(run, kind)
                written.append(key)
                storage.save_exact(key, ContentFile(data))
                setattr(run, f"{kind}_key", key)
                setattr(run, f"{kind}_sha256", hashlib.sha256(data).hexdigest())
            _mark_sent(run, by=by)
            run.status, run.sent_at, run._history_user = Run.SENT, timezone.now(), by
            run.save()
            payment_run_sent.send(sender=PaymentRun, run=run)
    except BaseException:
        for key in written:
            storage.delete_quietly(key)
        raise
    return run


def _mark_sent(run: PaymentRun, *, by: AbstractBaseUser | None) -> None:
    from simple_history.utils import bulk_update_with_history

    (payments,) = locks.lock(
        ScheduledPayment.objects.filter(run_items__run=run, run_items__active=True)
    )
    wrong = [p.reference for p in payments if p.status not in PAYABLE]
    if wrong:
        raise PaymentError(
            gettext("These payments are no longer due: %(references)s.")
            % {"references": ", ".join(wrong[:10])}
        )
    now = timezone.now()
    for payment in payments:
        payment.status, payment.sent_at = Payment.SENT, now
    bulk_update_with_history(
        payments, ScheduledPayment, ["status", "sent_at"], batch_size=2000, default_user=by
    )


def run_totals_by_payee(run: PaymentRun) -> list[dict]:
    """Per payee (a student, or a school): how many payments and how much."""
    return list(
        run.items.filter(active=True)
        .values(
            "payment__payee",
            "payment__school__name",
            "payment__enrollment__student__status_no",
            "payment__enrollment__student__last_name",
            "payment__enrollment__student__first_name",
        )
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("payment__school__name", "payment__enrollment__student__last_name")
    )


@transaction.atomic
def run_file_downloaded(*, run: PaymentRun, by: AbstractBaseUser | None, kind: str) -> None:
    """Log a download of a run's file as a reading of each account number in it."""
    from billing.models import BankDetailsAccess

    ids = set(run.items.filter(active=True).values_list("bank_details_id", flat=True))
    ids |= set(PaymentRunItem.objects.filter(run=run).values_list("bank_details_id", flat=True))
    BankDetailsAccess.objects.bulk_create(
        [
            BankDetailsAccess(details_id=pk, user=by, purpose=f"download of run {run.pk} {kind}")
            for pk in sorted(ids)
        ]
    )
