"""Bank details of students and schools: entered or changed (pending until a second person
confirms them), confirmed, read in full (each reading logged), re-encrypted under a new
key. The account number is encrypted before it reaches the database and shown masked.

Canadian direct deposit has no check digit on the institution, transit or account
number (the CPA formats carry none): their shape is checked. An IBAN's check digits, its
country's length and format, and a BIC's shape are checked by ``schwifty``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from avataq import locks
from billing.models import BankDetails, BankDetailsAccess
from billing.payments import crypto
from billing.payments.errors import BankDetailsInvalid, FourEyes, PaymentError
from billing.signals import bank_details_changed
from scholarships.models import School, Student

Scheme = BankDetails.Scheme
ROTATE_BATCH = 500


def _digits(value: str, *, field: str, low: int, high: int) -> str:
    cleaned = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(rf"[0-9]{{{low},{high}}}", cleaned):
        size = str(low) if low == high else f"{low}–{high}"
        raise BankDetailsInvalid(
            gettext("%(field)s: %(size)s digits are expected.") % {"field": field, "size": size}
        )
    return cleaned


def validate_canadian(*, institution: str, transit: str, account: str) -> tuple[str, str, str]:
    """(institution, transit, account) cleaned of spaces and dashes, or
    :class:`BankDetailsInvalid` naming the field."""
    return (
        _digits(institution, field=gettext("Institution number"), low=3, high=3),
        _digits(transit, field=gettext("Transit number"), low=5, high=5),
        _digits(account, field=gettext("Account number"), low=7, high=12),
    )


def validate_iban(*, iban: str, bic: str) -> tuple[str, str]:
    """(IBAN, BIC) in their compact form, or :class:`BankDetailsInvalid` naming the one
    refused and why."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        checked_iban = IBAN(iban or "")
    except SchwiftyException as exc:
        raise BankDetailsInvalid(
            gettext("IBAN: %(problem)s.") % {"problem": str(exc).rstrip(".")}
        ) from None
    try:
        checked_bic = BIC(bic or "")
    except SchwiftyException as exc:
        raise BankDetailsInvalid(
            gettext("BIC: %(problem)s.") % {"problem": str(exc).rstrip(".")}
        ) from None
    if checked_bic.country_code != checked_iban.country_code:
        raise BankDetailsInvalid(
            gettext("The BIC is of a bank in %(bic)s; the IBAN is of an account in %(iban)s.")
            % {"bic": checked_bic.country_code, "iban": checked_iban.country_code}
        )
    return checked_iban.compact, checked_bic.compact


@dataclass(frozen=True)
class CleanDetails:
    """Bank details as they are stored: checked, compact, the number still in clear."""

    holder_name: str
    scheme: str
    institution: str
    transit: str
    number: str
    bic: str


def bank_details_clean(
    *,
    for_student: bool,
    holder_name: str,
    scheme: str = Scheme.CANADA,
    institution: str = "",
    transit: str = "",
    account: str = "",
    iban: str = "",
    bic: str = "",
) -> CleanDetails:
    """The details checked (nothing written), or :class:`BankDetailsInvalid` naming the
    field refused: what the entry forms check before the service stores them."""
    holder_name = (holder_name or "").strip()
    if not holder_name:
        raise BankDetailsInvalid(gettext("Account holder: a name is needed."))
    if scheme == Scheme.CANADA:
        institution, transit, number = validate_canadian(
            institution=institution, transit=transit, account=account
        )
        bic = ""
    elif scheme == Scheme.IBAN:
        if for_student:
            raise BankDetailsInvalid(
                gettext("Students are paid by Canadian direct deposit: IBAN is for schools.")
            )
        number, bic = validate_iban(iban=iban, bic=bic)
        institution = transit = ""
    else:
        raise BankDetailsInvalid(
            gettext("Unknown kind of account %(scheme)r.") % {"scheme": scheme}
        )
    return CleanDetails(holder_name[:100], scheme, institution, transit, number, bic)


@transaction.atomic
def bank_details_set(
    *,
    student: Student | None = None,
    school: School | None = None,
    holder_name: str,
    scheme: str = Scheme.CANADA,
    institution: str = "",
    transit: str = "",
    account: str = "",
    iban: str = "",
    bic: str = "",
    by: AbstractBaseUser | None,
) -> BankDetails:
    """Enter or change a student's or a school's bank details. They wait for a second
    person's confirmation before any payment goes to them; the change is in their
    history, and a student is told at the address on file."""
    if (student is None) == (school is None):
        raise PaymentError(gettext("Bank details belong to one student or one school."))
    clean = bank_details_clean(
        for_student=student is not None,
        holder_name=holder_name,
        scheme=scheme,
        institution=institution,
        transit=transit,
        account=account,
        iban=iban,
        bic=bic,
    )
    owner = {"student": student} if student is not None else {"school": school}
    (found,) = locks.lock(BankDetails.objects.filter(**owner))
    details = found[0] if found else BankDetails(**owner)
    details.holder_name = clean.holder_name
    details.scheme = clean.scheme
    details.institution, details.transit, details.bic = clean.institution, clean.transit, clean.bic
    details.account_ciphertext = crypto.encrypt(clean.number)
    details.account_last3 = clean.number[-3:]
    details.status = BankDetails.Status.PENDING
    details.changed_by, details.changed_at = by, timezone.now()
    details.confirmed_by = details.confirmed_at = None
    details._history_user = by
    details.full_clean(exclude=["student", "school", "changed_by"])
    details.save()
    bank_details_changed.send(sender=BankDetails, details=details)
    return details


@transaction.atomic
def bank_details_confirm(*, details: BankDetails, by: AbstractBaseUser) -> BankDetails:
    """A second person confirms new details: payments may go to them from now on."""
    details = locks.lock_one(BankDetails.objects.filter(pk=details.pk))
    if details.status != BankDetails.Status.PENDING:
        raise PaymentError(gettext("These bank details are already confirmed."))
    if details.changed_by_id is not None and details.changed_by_id == by.pk:
        raise FourEyes(gettext("You entered these bank details: another person must confirm them."))
    details.status = BankDetails.Status.CONFIRMED
    details.confirmed_by, details.confirmed_at = by, timezone.now()
    details._history_user = by
    details.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return details


@transaction.atomic
def bank_details_reveal(*, details: BankDetails, by: AbstractBaseUser | None, purpose: str) -> str:
    """The full account number (or IBAN); the reading is logged with who and why."""
    number = crypto.decrypt(details.account_ciphertext)
    BankDetailsAccess.objects.create(details=details, user=by, purpose=purpose[:200])
    return number


def bank_details_reveal_many(
    *, details: list[BankDetails], by: AbstractBaseUser | None, purpose: str
) -> dict[int, str]:
    """Full numbers for a payment file, by details id; one logged reading each, in one
    insert. Called inside the run's transaction."""
    ring = crypto.keyring()
    numbers = {d.pk: crypto.decrypt(d.account_ciphertext, ring) for d in details}
    BankDetailsAccess.objects.bulk_create(
        [BankDetailsAccess(details_id=pk, user=by, purpose=purpose[:200]) for pk in numbers]
    )
    return numbers


def bank_details_rotate() -> int:
    """Re-encrypt every stored number under the first ``BANK_DETAILS_KEYS`` key, a batch
    per transaction (rows locked in primary-key order); how many were re-encrypted."""
    ring = crypto.keyring()
    done, last = 0, 0
    while True:
        with transaction.atomic():
            (batch,) = locks.lock(
                BankDetails.objects.filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "account_ciphertext")[:ROTATE_BATCH]
            )
            if not batch:
                return done
            for row in batch:
                row.account_ciphertext = crypto.reencrypt(row.account_ciphertext, ring)
            BankDetails.objects.bulk_update(batch, ["account_ciphertext"])
            done += len(batch)
            last = batch[-1].pk
