"""Portal accounts: signup, email confirmation, password-reset links, claiming a student
record, invitations and the language a student reads in."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from avataq import locks
from avataq.errors import AvataqError
from portal.models import Account, ClaimAttempt, Invitation, NoticeAcceptance, OutgoingEmail
from portal.services.mail import absolute_url, mail_may_be_asked_for, mail_queue
from scholarships.models import Student

log = logging.getLogger(__name__)
User = get_user_model()
CONFIRM_SALT = "portal.account.confirm"
CLAIM_ATTEMPTS_PER_DAY = 5  # refusals a day, per account and per status number
# Refusals a day from one address: a community's shared connection is many students.
CLAIM_ATTEMPTS_PER_ADDRESS = 20
LANGUAGES = {code for code, _ in settings.LANGUAGES}


class AccountError(AvataqError):
    """A request about an account that cannot be carried out; the message says why."""

    code = "account"


def normalize_email(email: str) -> str:
    """Emails are unique without regard to case: the account keeps the address as typed,
    the username is this lower-cased form."""
    return email.strip().lower()


def email_taken(email: str) -> bool:
    normalized = normalize_email(email)
    return (
        Account.objects.filter(email__iexact=normalized).exists()
        or User.objects.filter(username=normalized).exists()
    )


def _language(language: str) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def confirmation_token(account: Account) -> str:
    return signing.dumps({"a": account.pk, "e": normalize_email(account.email)}, salt=CONFIRM_SALT)


def _send_confirmation(account: Account) -> None:
    url = absolute_url(reverse("portal:confirm", args=[confirmation_token(account)]))
    mail_queue(
        code="account_confirmation",
        to=account.email,
        language=account.language,
        context={"confirm_url": url, "days": settings.PORTAL_CONFIRMATION_TIMEOUT // 86400},
    )


def _tell_owner_of_signup(email: str, language: str) -> None:
    """Someone signed up with an address that has an account: its owner hears of it (and
    how to sign in or reset), the person signing up learns nothing."""
    if not mail_may_be_asked_for(code="account_exists", to=email):
        return
    existing = Account.objects.filter(email__iexact=normalize_email(email)).first()
    mail_queue(
        code="account_exists",
        to=email,
        language=existing.language if existing else _language(language),
        context={
            "login_url": absolute_url(reverse("portal:login")),
            "reset_url": absolute_url(reverse("portal:password_reset")),
        },
    )


@transaction.atomic
def account_signup(*, email: str, password: str, language: str) -> Account | None:
    """A new, unconfirmed account; the confirmation email is queued. When the address
    already has an account, its owner is emailed instead and ``None`` comes back: the
    page answers the same either way, so signup never tells whether an address has an
    account here (which would tell that its owner is a beneficiary of the program)."""
    email = email.strip()
    user = User(username=normalize_email(email), email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    if email_taken(email):
        make_password(password)  # the work of a real signup: the timing tells nothing either
        _tell_owner_of_signup(email, language)
        return None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            account = Account.objects.create(user=user, email=email, language=_language(language))
            # The notice the signup form showed, accepted with the account.
            NoticeAcceptance.objects.create(
                account=account, version=settings.PRIVACY_NOTICE_VERSION
            )
    except IntegrityError:  # someone signed up with the same address a moment earlier
        _tell_owner_of_signup(email, language)
        return None
    _send_confirmation(account)
    return account


def confirmation_account(token: str) -> Account:
    """The account a confirmation token was made for, while it is valid
    (``PORTAL_CONFIRMATION_TIMEOUT``); ``AccountError`` saying why otherwise."""
    try:
        payload = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.PORTAL_CONFIRMATION_TIMEOUT
        )
    except signing.SignatureExpired:
        raise AccountError(_("This confirmation link has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise AccountError(_("This confirmation link is not valid.")) from None
    account = Account.objects.filter(pk=payload.get("a")).first()
    if account is None or normalize_email(account.email) != payload.get("e"):
        raise AccountError(_("This confirmation link is not valid."))
    return account


@transaction.atomic
def account_confirm(*, token: str, user: AbstractBaseUser) -> Account:
    """Confirm the email a token was made for, for ``user``, who has just given that
    account's password: the link proves the address, the password proves the person
    (someone else may have signed up with it). Twice is harmless."""
    account = confirmation_account(token)
    if account.user_id != user.pk:
        raise AccountError(
            _("This confirmation link is for another account. Sign out, then open it again.")
        )
    account = locks.lock_one(Account.objects.filter(pk=account.pk))
    if account.confirmed_at is None:
        account.confirmed_at = timezone.now()
        account.save(update_fields=["confirmed_at"])
    return account


@transaction.atomic
def account_email_proven(*, user: AbstractBaseUser) -> None:
    """A password reset reached ``user``'s inbox: that proves the email as well as a
    confirmation link (and is how the owner of an address takes back an account someone
    else signed up with, unconfirmed)."""
    Account.objects.filter(user=user, confirmed_at__isnull=True).update(confirmed_at=timezone.now())


def _same_email(first: str, second: str) -> bool:
    # As Django's own password reset compares them: case and Unicode forms aside.
    return (
        unicodedata.normalize("NFKC", first).casefold()
        == unicodedata.normalize("NFKC", second).casefold()
    )


@transaction.atomic
def password_reset_send(*, email: str) -> int:
    """Queue a password-reset link to each active account with a password whose email is
    ``email`` (any case), at most once in a while per address; returns how many were
    queued. Runs in a task, after the page has answered: the page answers the same, in
    the same time, whether or not the address has an account."""
    queued = 0
    users = User.objects.filter(email__iexact=email, is_active=True)
    for user in users:
        if not (user.has_usable_password() and _same_email(email, user.email)):
            continue
        if not mail_may_be_asked_for(code="password_reset", to=user.email):
            continue  # asked for again too soon: nothing is sent
        student = Student.objects.filter(user=user).first()
        account = Account.objects.filter(user=user).first()
        language = (student and student.language) or (account and account.language) or "en"
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        path = reverse(
            "portal:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
        )
        mail_queue(
            code="password_reset",
            to=user.email,
            language=language,
            context={
                "reset_url": absolute_url(path),
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            student=student,
        )
        queued += 1
    return queued


@transaction.atomic
def confirmation_resend(*, email: str) -> bool:
    """Queue a new confirmation link when ``email`` belongs to an unconfirmed account;
    says whether one was sent (the page answers the same either way)."""
    account = Account.objects.filter(
        email__iexact=normalize_email(email), confirmed_at__isnull=True
    ).first()
    if account is None or not mail_may_be_asked_for(code="account_confirmation", to=email):
        return False
    _send_confirmation(account)
    return True


def _claim_alert_addresses(status_no: str) -> list[str]:
    """Who helps with a refused claim: the counsellor of the record with that status
    number, else the Staff group (and ``PORTAL_HELP_EMAILS`` always)."""
    record = Student.objects.select_related("counsellor").filter(status_no=status_no).first()
    counsellor = record.counsellor if record else None
    if counsellor is not None and counsellor.is_active and counsellor.email:
        addresses = {counsellor.email}
    else:
        staff = Group.objects.filter(name="Staff").values("user")
        addresses = set(
            User.objects.filter(pk__in=staff, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return sorted(addresses | set(settings.PORTAL_HELP_EMAILS))


def _notify_of_refused_claim(account: Account, attempt: ClaimAttempt, refused: int) -> None:
    context = {
        "email": account.email,
        "status_no": attempt.status_no,
        "date_of_birth": attempt.date_of_birth.isoformat(),
        "attempts": refused,
        "admin_url": absolute_url(
            reverse("admin:portal_claimattempt_changelist") + f"?q={attempt.status_no}"
        ),
    }
    for address in _claim_alert_addresses(attempt.status_no):
        mail_queue(code="claim_refused", to=address, language="en", context=context)


def _claims_refused_since(since: dt.datetime, **match: object) -> int:
    return ClaimAttempt.objects.filter(succeeded=False, created_at__gte=since, **match).count()


def _claimable_record(status_no: str, date_of_birth: dt.date) -> Student | None:
    """The unclaimed, open record these details name (locked), if any: what a claim
    within its limits is checked against."""
    (found,) = locks.lock(
        Student.objects.filter(
            status_no=status_no, date_of_birth=date_of_birth, user__isnull=True, is_active=True
        )
    )
    return found[0] if found else None


@transaction.atomic
def student_claim(
    *, account: Account, status_no: str, date_of_birth: dt.date, ip_address: str | None = None
) -> Student | None:
    """Link ``account`` to the unclaimed student record with this status number and date
    of birth. ``None`` when there is none — no match, or already claimed, or too many
    refusals today: the caller shows one neutral message for all, and staff are told.

    Refusals are counted per account, per status number (more accounts are no more
    guesses at one record) and per address; the locks make concurrent tries count."""
    account = locks.lock_one(Account.objects.filter(pk=account.pk))
    if not account.is_confirmed:
        raise AccountError(_("Confirm your email before claiming your student record."))
    if Student.objects.filter(user=account.user).exists():
        raise AccountError(_("This account is already linked to a student record."))
    status_no = status_no.strip()[:20]
    locks.advisory_xact_lock(locks.Advisory.STUDENT_CLAIM, status_no)  # one claim at a time
    since = timezone.now() - dt.timedelta(days=1)
    refused_today = _claims_refused_since(since, account=account)
    within_limits = (
        refused_today < CLAIM_ATTEMPTS_PER_DAY
        and _claims_refused_since(since, status_no=status_no) < CLAIM_ATTEMPTS_PER_DAY
        and (
            ip_address is None
            or _claims_refused_since(since, ip_address=ip_address) < CLAIM_ATTEMPTS_PER_ADDRESS
        )
    )
    student = _claimable_record(status_no, date_of_birth) if within_limits else None
    attempt = ClaimAttempt.objects.create(
        account=account,
        status_no=status_no,
        date_of_birth=date_of_birth,
        student=student,
        succeeded=student is not None,
        ip_address=ip_address,
    )
    if student is None:
        # Once a day per status number (past a limit, they already know): one mistyped
        # birth date is one email, to the one person who can help, not every counsellor.
        if within_limits and _claims_refused_since(since, status_no=status_no) == 1:
            _notify_of_refused_claim(account, attempt, refused_today + 1)
        return None
    on_file = student.email
    student.user = account.user
    student.language = account.language
    if not student.email:
        student.email = account.email
    student._history_user = account.user
    student.save(update_fields=["user", "language", "email", "updated_at"])
    if on_file and normalize_email(on_file) != normalize_email(account.email):
        # Whoever knew the status number and date of birth now sees the file: the
        # student hears of it at the address the program has for them.
        mail_queue(
            code="record_linked",
            to=on_file,
            language=student.language,
            context={
                "first_name": student.first_name,
                "email": account.email,
                "contact_email": settings.PORTAL_CONTACT_EMAIL,
            },
            student=student,
        )
    return student


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, student: Student, email: str, by: AbstractBaseUser
) -> tuple[Invitation, str]:
    """A one-time link for ``student`` (valid ``PORTAL_INVITATION_DAYS``), emailed to
    ``email``; returns the invitation and the link."""
    student = locks.lock_one(Student.objects.filter(pk=student.pk))
    if student.user_id is not None:
        raise AccountError(_("%(student)s already has a portal account.") % {"student": student})
    email = email.strip()
    if email_taken(email):
        raise AccountError(_("An account already uses %(email)s.") % {"email": email})
    return _invitation_send(student=student, email=email, by=by)


def _invitation_send(
    *, student: Student, email: str, by: AbstractBaseUser
) -> tuple[Invitation, str]:
    # A new invitation replaces the student's earlier ones: a link sent to a mistyped
    # address must not stay usable after staff send the right one.
    Invitation.objects.filter(
        student=student, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(expires_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        student=student,
        email=email,
        token_hash=_token_hash(token),
        created_by=by,
        expires_at=timezone.now() + dt.timedelta(days=settings.PORTAL_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    url = absolute_url(reverse("portal:invitation", args=[token]))
    mail_queue(
        code="account_invitation",
        to=email,
        language=student.language,
        context={
            "first_name": student.first_name,
            "invite_url": url,
            "days": settings.PORTAL_INVITATION_DAYS,
        },
        student=student,
    )
    return invitation, url


def _awaiting_password(via: str = "") -> Q:
    """Students (``via`` a relation to one) whose account was brought over from the old
    system: linked, active, never confirmed here, and without password (none ever left
    the old system)."""
    return Q(
        **{
            f"{via}user__is_active": True,
            f"{via}user__portal_account__confirmed_at__isnull": True,
            f"{via}user__password__startswith": UNUSABLE_PASSWORD_PREFIX,
        }
    )


def imported_students_invite(*, by: AbstractBaseUser) -> list[Invitation]:
    """Invite every student whose account was imported and who has no password yet (and
    no invitation still valid), each to their account's address and in their language:
    accepting sets the password and confirms the account. One transaction per student,
    so a run stopped half-way is resumed by running it again."""
    now = timezone.now()
    pending = (
        Student.objects.filter(_awaiting_password())
        .exclude(
            pk__in=Invitation.objects.filter(used_at__isnull=True, expires_at__gt=now).values(
                "student_id"
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = []
    for student_id in pending:
        with transaction.atomic():
            student = locks.lock_one(Student.objects.filter(pk=student_id))
            if not Student.objects.filter(_awaiting_password(), pk=student.pk).exists():
                continue  # a password was set meanwhile
            account = Account.objects.get(user_id=student.user_id)
            invitation, _url = _invitation_send(student=student, email=account.email, by=by)
            sent.append(invitation)
    return sent


def invitation_for(token: str) -> Invitation | None:
    """The usable invitation for ``token``: not used, not expired, student unclaimed."""
    return (
        Invitation.objects.select_related("student")
        .filter(
            Q(student__user__isnull=True) | _awaiting_password(via="student__"),
            token_hash=_token_hash(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> Account:
    """Create the invited student's account (confirmed: the link proved the email) and
    link the record; the link cannot be used again."""
    invitation = invitation_for(token)
    if invitation is None:
        raise AccountError(
            _("This invitation link is not valid any more. Ask staff for a new one.")
        )
    # The imported account's login (if any), the invitation, the record: the order of
    # avataq.locks, in one call (which login is known from the record read unlocked; the
    # record is read again locked and must still name it).
    login = Student.objects.filter(pk=invitation.student_id).values_list("user_id", flat=True)
    _logins, _accounts, [invitation], [student] = locks.lock(
        User.objects.filter(pk__in=login),
        Account.objects.filter(user_id__in=login),
        Invitation.objects.filter(pk=invitation.pk),
        Student.objects.filter(pk=invitation.student_id),
    )
    if invitation.used_at is not None:
        raise AccountError(
            _("This invitation link is not valid any more. Ask staff for a new one.")
        )
    if student.user_id is not None:
        imported = Student.objects.filter(_awaiting_password(), pk=student.pk).exists()
        if not imported:  # claimed since the link was opened
            raise AccountError(
                _("This invitation link is not valid any more. Ask staff for a new one.")
            )
        return _imported_account_activate(invitation, student, password)
    if email_taken(invitation.email):
        raise AccountError(_("An account already uses this email. Sign in, or reset the password."))
    user = User(username=normalize_email(invitation.email), email=invitation.email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    now = timezone.now()
    account = Account.objects.create(
        user=user, email=invitation.email, language=student.language, confirmed_at=now
    )
    student.user = user
    if not student.email:
        student.email = invitation.email
    student._history_user = user
    student.save(update_fields=["user", "email", "updated_at"])
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return account


def _imported_account_activate(invitation: Invitation, student: Student, password: str) -> Account:
    """The invitation of an imported account: its password set, its email confirmed."""
    user = User.objects.get(pk=student.user_id)  # locked by invitation_accept
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    account = Account.objects.get(user=user)  # locked by invitation_accept
    account.confirmed_at = now
    account.save(update_fields=["confirmed_at"])
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return account


@transaction.atomic
def language_set(*, user: AbstractBaseUser, language: str) -> str:
    """Remember the language on the student record (and the account, before a claim)."""
    if language not in LANGUAGES:
        raise AccountError(_("Unknown language %(code)r.") % {"code": language})
    Student.objects.filter(user=user).update(language=language, updated_at=timezone.now())
    Account.objects.filter(user=user).update(language=language)
    return language


def unconfirmed_accounts_expire(*, now: dt.datetime | None = None) -> int:
    """Remove the portal accounts (and their logins) whose email was never confirmed and
    that no link can confirm any more: created, and last sent a confirmation link, more
    than ``PORTAL_CONFIRMATION_TIMEOUT`` ago, with no password-reset link still valid (a
    completed reset confirms the email too). Never an account linked to a student
    record, nor a staff login. The address is free again for its owner. Returns how many
    were removed; one that something else still refers to is kept, and logged."""
    now = now or timezone.now()
    confirm_cutoff = now - dt.timedelta(seconds=settings.PORTAL_CONFIRMATION_TIMEOUT)
    reset_cutoff = now - dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)

    def sent_since(code: str, since: dt.datetime) -> Exists:
        return Exists(
            OutgoingEmail.objects.filter(
                template_code=code, to__iexact=OuterRef("email"), created_at__gte=since
            )
        )

    expired = (
        Account.objects.filter(confirmed_at__isnull=True, created_at__lt=confirm_cutoff)
        .filter(user__is_staff=False, user__is_superuser=False, user__student__isnull=True)
        .exclude(sent_since("account_confirmation", confirm_cutoff))
        .exclude(sent_since("password_reset", reset_cutoff))
    )
    removed = 0
    for account_id in list(expired.values_list("pk", flat=True).order_by("pk")):
        try:
            with transaction.atomic():
                # Locked and checked again: confirmed or linked a moment ago, it stays.
                account = (
                    expired.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=account_id)
                    .first()
                )
                if account is None:
                    continue
                account.user.delete()  # the account and its claim attempts go with it
        except ProtectedError:
            log.warning("unconfirmed portal account %s is still referred to: kept", account_id)
            continue
        removed += 1
    if removed:
        log.info("%s unconfirmed portal accounts expired", removed)
    return removed
