"""Payments the bank brings back. A credit line of an imported statement naming a sent
payment's reference, for its amount — an entry the bank marks as a reversal
(``RvslInd``) or a return (``RtrInf``), or a "returned payment" line of a CSV — reopens
that payment: it becomes *returned*, with the bank's reason, is freed from its run, and is
offered to the next run. The line is settled by a *return* match, and what the payment's
debit line had reconciled is taken back, so the payment can be reconciled again when it
is paid anew. Lines, then payments, locked in primary-key order (billing's lock order)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from avataq import locks
from avataq.money import ZERO
from billing import matching
from billing.models import (
    BankStatement,
    Match,
    PaymentRunItem,
    ScheduledPayment,
    StatementLine,
)

Payment = ScheduledPayment.Status
RETURNABLE = (Payment.SENT, Payment.PAID, Payment.RECONCILED)
RULE_RETURN = "returned by the bank"


def returned_note(reference: str, reason: str) -> str:
    return gettext(
        "Payment %(reference)s was returned by the bank (%(reason)s): it is due "
        "again and offered to the next run."
    ) % {"reference": reference, "reason": reason}


@transaction.atomic
def statement_returns_apply(
    *, statement: BankStatement, by: AbstractBaseUser | None
) -> list[tuple[str, str]]:
    """Reopen every payment the statement's credit lines bring back; (reference, reason)
    of each, in line order."""
    credits = StatementLine.objects.filter(statement=statement, amount__gt=0, matched_amount=0)
    named = {
        pk: matching.references(f"{reference} {description}")
        for pk, reference, description in credits.values_list("pk", "reference", "description")
    }
    wanted = {ref for refs in named.values() for ref in refs}
    if not wanted:
        return []
    # The payments, then the lines (the order of avataq.locks); a line matched meanwhile
    # drops out.
    found, lines = locks.lock(
        ScheduledPayment.objects.filter(reference__in=wanted, status__in=RETURNABLE),
        credits.filter(pk__in=list(named)),
    )
    payments = {p.reference.upper(): p for p in found}
    done: list[tuple[str, str]] = []
    for line in lines:
        fits = [payments[r] for r in named[line.pk] if r in payments]
        fits = [p for p in fits if p.amount == line.amount and p.status in RETURNABLE]
        if len(fits) != 1:
            continue  # not one sent payment of that amount: a person looks at it
        payment = fits[0]
        reason = (line.return_reason or line.description or gettext("returned"))[:300]
        Match.objects.create(
            line=line,
            payment=payment,
            kind=Match.Kind.RETURN,
            amount=line.amount,
            rule=RULE_RETURN,
            confidence=1.0,
            reason=reason,
            previous_status=payment.status,
            created_by=by,
        )
        line.matched_amount = line.amount
        line.save(update_fields=["matched_amount"])
        payment.reconciled_amount = max(ZERO, payment.reconciled_amount - line.amount)
        payment.status, payment.return_reason = Payment.RETURNED, reason
        payment._history_user = by
        payment.save(update_fields=["reconciled_amount", "status", "return_reason"])
        PaymentRunItem.objects.filter(payment=payment, active=True).update(active=False)
        done.append((payment.reference, reason))
    return done
