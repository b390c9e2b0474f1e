"""Demo billing data: the program in motion. A rate schedule per demo year with fares and
school fees; the sheets of the enrollments under way, done or approved for a session to
come, validated before their session where the documents are in (drafts where some are
missing); a few validated sheets in revision; their payments over
the months of each session — paid, sent a week ahead, scheduled after; and the program's
two bank accounts, with a month of the Operations account imported and about half of it
reconciled automatically, one transfer returned by the bank.

Sheets go through the bulk path and the sheet services; payment steps are the same rows
``payment_mark`` writes (status and a history row), in a few statements for thousands of
payments; reconciliation goes through the statement import and ``billing.reconciliation``.
Demo data is the program's past: nobody is emailed about it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db import connection, transaction
from django.db.models import Min, Model, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from billing import services
from billing.bulk import sheets_compute_bulk
from billing.models import (
    BankAccount,
    CommunityFare,
    ComputingSheet,
    ComputingSheetLine,
    Match,
    RateSchedule,
    ScheduledPayment,
    SchoolFee,
)
from billing.signals import payment_sent, sheet_validated
from enrollment.models import Enrollment
from scholarships.models import Community, ScholarYear, School, Student

Payment = ScheduledPayment.Status
FARES = {  # return fares to Montréal, roughly by distance
    "kuujjuaraapik": "1650",
    "umiujaq": "1900",
    "inukjuak": "2100",
    "puvirnituq": "2250",
    "akulivik": "2450",
    "ivujivik": "2600",
    "salluit": "2600",
    "kangiqsujuaq": "2500",
    "quaqtaq": "2450",
    "kangirsuk": "2350",
    "aupaluk": "2300",
    "tasiujaq": "2250",
    "kuujjuaq": "1950",
    "kangiqsualujjuaq": "2200",
}
# Sheets are validated this long before their session starts.
VALIDATED_AHEAD = dt.timedelta(days=14)
# A payment file goes to the bank a week before the payment day; the bank confirms a
# transfer a few days after it.
SENT_AHEAD = dt.timedelta(days=7)
CONFIRMED_AFTER = dt.timedelta(days=3)
# The month of the Operations account that is imported: these days before today.
STATEMENT_FROM, STATEMENT_TO = dt.timedelta(days=35), dt.timedelta(days=5)
STATEMENT_LINES = 400  # at most, so the file is imported at once (under 512 KB)
REVISIONS = 8  # validated sheets of the session under way put in revision
REVISION_LINE = ("Laptop required by the program", Decimal("600.00"))
REVISION_REASON = "The program requires a laptop; the receipt is in the file."


@contextmanager
def _nobody_told(*signals: Signal) -> Iterator[None]:
    """The demo's steps are the program's past: the emails they sent (sheet validated,
    payment sent) went out long ago, so none is queued now — the seed would otherwise
    email every demo student, one by one."""
    saved = []
    for signal in signals:
        with signal.lock:
            saved.append((signal, signal.receivers))
            signal.receivers = []
            signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            with signal.lock:
                signal.receivers = receivers
                signal.sender_receivers_cache.clear()


def _rates_seed() -> None:
    communities = {c.code: c for c in Community.objects.all()}
    for year in ScholarYear.objects.all():
        rates, created = RateSchedule.objects.get_or_create(
            scholar_year=year,
            defaults={
                "tuition_cap": Decimal("3200.00"),
                "books_full_time": Decimal("450.00"),
                "books_part_time": Decimal("225.00"),
                "living_single": Decimal("1150.00"),
                "living_with_spouse": Decimal("1725.00"),
                "living_per_dependant": Decimal("310.00"),
                "housing_supplement": Decimal("475.00"),
                "round_trips_per_session": 1,
                "childcare_per_dependant": Decimal("260.00"),
                "payment_day": 1,
            },
        )
        if created:
            CommunityFare.objects.bulk_create(
                [
                    CommunityFare(
                        rates=rates, community=communities[code], round_trip_fare=Decimal(fare)
                    )
                    for code, fare in FARES.items()
                    if code in communities
                ]
            )
            SchoolFee.objects.bulk_create(
                [
                    SchoolFee(
                        rates=rates,
                        school=school,
                        load=load,
                        fee=Decimal("2900.00") if load == "full_time" else Decimal("1450.00"),
                    )
                    for school in School.objects.all()
                    for load in ("full_time", "part_time")
                ]
            )


def _sheets_seed(today: dt.date) -> tuple[int, list[int]]:
    """Sheets for the enrollments of sessions that have started (approved, active or
    completed) and for the approved ones of sessions to come; validated where the
    documents are in, drafts where some are missing. A completed
    enrollment's sheet was validated while it was under way: it is computed as active,
    then completed again. (validated, ids of the enrollments whose sheets were made)"""
    S = Enrollment.Status
    started = Enrollment.objects.filter(
        session__start_date__lte=today,
        status__in=[S.APPROVED, S.ACTIVE, S.COMPLETED],
        sheets__isnull=True,
    )
    ids = list(started.values_list("pk", flat=True))
    completed = list(started.filter(status=S.COMPLETED).values_list("pk", flat=True))
    first_start = started.aggregate(first=Min("session__start_date"))["first"]
    validated_on = min(today, first_start - VALIDATED_AHEAD) if first_start else today
    Enrollment.objects.filter(pk__in=completed).update(status=S.ACTIVE)
    report = sheets_compute_bulk(
        enrollments=Enrollment.objects.filter(pk__in=ids), validate=True, today=validated_on
    )
    Enrollment.objects.filter(pk__in=completed).update(status=S.COMPLETED)
    # Sessions to come: validated as soon as the documents are in (payments scheduled
    # on their days), drafts until then.
    upcoming = Enrollment.objects.filter(
        session__start_date__gt=today, status=S.APPROVED, sheets__isnull=True
    )
    ahead = sheets_compute_bulk(enrollments=upcoming, validate=True, today=today)
    return report.validated + ahead.validated, ids


def _revisions_seed(today: dt.date) -> int:
    """A few validated sheets of the session under way in revision: a new draft with an
    adjustment staff added (a laptop the program requires), through the sheet services."""
    chosen = (
        ComputingSheet.objects.filter(
            status=ComputingSheet.Status.VALIDATED,
            enrollment__status=Enrollment.Status.ACTIVE,
            enrollment__session__start_date__lte=today,
            enrollment__session__end_date__gte=today,
            enrollment__sheets__status=ComputingSheet.Status.VALIDATED,
        )
        .exclude(enrollment__sheets__status=ComputingSheet.Status.DRAFT)
        .select_related("enrollment__student__counsellor")
        .order_by("pk")
    )
    made = 0
    for sheet in chosen[: REVISIONS * 7 : 7]:
        by = sheet.enrollment.student.counsellor
        draft = services.compute_sheet(enrollment=sheet.enrollment, by=by)
        label, amount = REVISION_LINE
        services.sheet_add_manual_line(
            sheet=draft,
            label=label,
            amount=amount,
            payee=ComputingSheetLine.Payee.STUDENT,
            reason=REVISION_REASON,
            by=by,
        )
        made += 1
    return made


def _step(payments: QuerySet[ScheduledPayment], status: str, now: dt.datetime) -> list[int]:
    """``payment_mark(status)`` for many payments at once: the same status and the same
    history row each (the payment as it then stands), in two statements."""
    ids = sorted(payments.values_list("pk", flat=True))
    if ids:
        ScheduledPayment.objects.filter(pk__in=ids).update(status=status)
        _history_rows(ScheduledPayment, ids, now)
    return ids


def _history_rows(model: type[Model], ids: list[int], when: dt.datetime) -> None:
    """A change row in ``model``'s history for each of ``ids``, as saving it records."""
    history = model.history.model
    own = {f.column for f in model._meta.concrete_fields}
    columns = [f.column for f in history._meta.concrete_fields if f.column in own]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(history._meta.db_table)} "  # noqa: S608
            f"({quoted}, history_date, history_type, history_change_reason, history_user_id) "
            f"SELECT {quoted}, %s, '~', %s, NULL "
            f"FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = ANY(%s)",
            [when, "demo data", ids],
        )


def returned_payment(today: dt.date) -> ScheduledPayment | None:
    """The transfer the bank returns in the demo (the student's account was closed): the
    first allowance of the statement's month, left "sent" — it never arrived."""
    return (
        ScheduledPayment.objects.filter(
            payee=ComputingSheetLine.Payee.STUDENT,
            amount__gt=0,
            status__in=[Payment.SENT, Payment.PAID],
            due_date__range=(today - STATEMENT_FROM, today - STATEMENT_TO),
        )
        .order_by("due_date", "reference")
        .first()
    )


def _payments_seed(enrollment_ids: list[int], today: dt.date) -> None:
    """The payments of the sheets just validated move on as the days went: sent a week
    before they are due, paid (the bank confirmed) a few days after — all but the one the
    bank returns, still "sent"."""
    now = timezone.now()
    scheduled = ScheduledPayment.objects.filter(
        enrollment_id__in=enrollment_ids, status=Payment.SCHEDULED
    )
    sent = _step(scheduled.filter(due_date__lte=today + SENT_AHEAD), Payment.SENT, now)
    # Returned on the statement bank_demo_seed imports next (once: not on a later seed).
    returned = None if BankAccount.objects.exists() else returned_payment(today)
    confirmed = ScheduledPayment.objects.filter(
        pk__in=sent, due_date__lte=today - CONFIRMED_AFTER
    ).exclude(pk=returned.pk if returned else None)
    _step(confirmed, Payment.PAID, now)


@transaction.atomic
def billing_demo_seed(*, today: dt.date | None = None) -> int:
    """Rates, sheets, revisions and payments (see the module); idempotent: enrollments
    that have sheets are left as they are. Returns how many sheets were validated."""
    today = today or timezone.localdate()
    _rates_seed()
    with _nobody_told(sheet_validated, payment_sent):
        validated, enrollment_ids = _sheets_seed(today)
        if validated:
            _revisions_seed(today)
    _payments_seed(enrollment_ids, today)
    return validated


# --- bank accounts and a month of statement ----------------------------------------------
DEMO_ACCOUNTS = [
    # name, institution, last digits, currency, CSV layout
    ("Operations", "Desjardins", "4821", "CAD", "desjardins"),
    ("Tuition", "RBC Royal Bank", "7310", "CAD", "rbc"),
]
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
RETURN_TEXT = "RETOUR DE VIREMENT COMPTE FERME"  # what the bank prints on a returned transfer
RETURNED_AFTER = dt.timedelta(days=3)


def _entry(number: int, amount: Decimal, debit: bool, day: dt.date, text: str, party: str) -> str:
    indicator = "DBIT" if debit else "CRDT"
    role = "Cdtr" if debit else "Dbtr"
    return (
        f'<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="CAD">{amount:.2f}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>DEMO-{day:%Y%m%d}-{number:05d}</AcctSvcrRef>"
        f"<BkTxCd><Prtry><Cd>{'TRF' if debit else 'DEP'}</Cd></Prtry></BkTxCd>"
        f"<NtryDtls><TxDtls><RltdPties><{role}><Nm>{escape(party)}</Nm></{role}></RltdPties>"
        f"<RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def demo_statement(*, today: dt.date, opening: Decimal = Decimal("250000.00")) -> bytes:
    """A month of the Operations account as Desjardins would send it in CAMT.053: the
    allowances paid out, about half with their reference (reconciled at import), the
    others with only the student's name or a little short (for a person); the transfer
    the bank returned, and its return; bank fees and the program's funding — balanced to
    the cent."""
    start = today - STATEMENT_FROM
    returned = returned_payment(today)
    payments = list(
        ScheduledPayment.objects.filter(
            payee=ComputingSheetLine.Payee.STUDENT,
            amount__gt=0,
            status__in=[Payment.SCHEDULED, Payment.SENT, Payment.PAID],
            due_date__range=(start, today - STATEMENT_TO),
        )
        .select_related("enrollment__student")
        .order_by("due_date", "reference")[:STATEMENT_LINES]
    )
    entries, total = [], Decimal(0)
    for number, payment in enumerate(payments, start=1):
        student = payment.enrollment.student
        name = f"{student.first_name} {student.last_name}"
        amount, text = payment.amount, f"AVATAQ {payment.reference}"
        if payment != returned and number % 5 in (0, 3):
            text = f"VIREMENT {name.upper()}"  # the bank kept only the name
        elif payment != returned and number % 10 == 1:
            amount -= Decimal("0.50")  # a bank charge taken off the transfer
        day = payment.due_date + dt.timedelta(days=1)
        entries.append(_entry(number, amount, True, day, text, name))
        total -= amount
        if payment == returned:
            back = min(day + RETURNED_AFTER, today)
            text = f"{RETURN_TEXT} {payment.reference}"
            entries.append(_entry(len(payments) + 10, amount, False, back, text, name))
            total += amount
    for extra, (amount, debit, text, party) in enumerate(
        [
            (Decimal("18.50"), True, "FRAIS DE SERVICE MENSUELS", "Desjardins"),
            (Decimal("350000.00"), False, "FINANCEMENT PROGRAMME POSTSECONDAIRE", "KRG"),
            (Decimal("4.25"), True, "FRAIS VIREMENTS INTERAC", "Desjardins"),
        ],
        start=len(payments) + 1,
    ):
        entries.append(
            _entry(extra, amount, debit, start + dt.timedelta(days=extra % 28), text, party)
        )
        total += -amount if debit else amount
    closing = opening + total

    def balance(code: str, amount: Decimal, day: dt.date) -> str:
        sign = "CRDT" if amount >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="CAD">{abs(amount):.2f}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT_NS}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>DEMO-{today:%Y%m%d}</MsgId><CreDtTm>{today.isoformat()}T06:00:00"
        f"</CreDtTm></GrpHdr><Stmt><Id>DEMO-{today:%Y%m}</Id>"
        f"<CreDtTm>{today.isoformat()}T06:00:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>815-30123-0004821</Id></Othr></Id><Ccy>CAD</Ccy>"
        f"<Svcr><FinInstnId><Nm>Desjardins</Nm></FinInstnId></Svcr></Acct>"
        f"{balance('OPBD', opening, start)}{balance('CLBD', closing, today)}"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _returned_handled(payment: ScheduledPayment) -> None:
    """What Finance does with a returned transfer: the match the import made by its
    reference is undone (the payment is back to "sent": the money never reached the
    student), and the suggestion to match it again is rejected."""
    from billing.reconciliation import match_undo, suggestion_reject

    payment.refresh_from_db(fields=["status"])
    if payment.status == Payment.RETURNED:
        return  # the import read the bank's return and reopened the payment itself
    match = Match.objects.filter(payment=payment, undone_at__isnull=True).first()
    if match is None:
        return
    match_undo(match=match, by=None)
    suggestion_reject(statement=match.line.statement, line_id=match.line_id, by=None)


def bank_demo_seed(*, today: dt.date | None = None) -> int:
    """The program's two bank accounts and a month of Operations' statement, imported as
    Finance would (once: nothing is added when the accounts exist). Lines imported."""
    from billing.statement_files import statement_file_receive

    if BankAccount.objects.exists():
        return 0
    today = today or timezone.localdate()
    for name, institution, digits, currency, preset in DEMO_ACCOUNTS:
        BankAccount.objects.create(
            name=name,
            institution=institution,
            account_number=digits,
            currency=currency,
            csv_preset=preset,
        )
    returned = returned_payment(today)
    job = statement_file_receive(
        data=demo_statement(today=today),
        filename=f"desjardins-operations-{today:%Y-%m}.xml",
        source_format="camt053",
        account=None,
        by=None,
    )
    if returned is not None and job.status == job.Status.DONE:
        _returned_handled(returned)
    return job.lines_new


# --- bank details and payment runs -------------------------------------------------------
DEMO_PREPARER, DEMO_APPROVER = "finance.marie", "finance.jonas"
RUN_AHEAD = dt.timedelta(days=21)  # a run pays what falls due in three weeks from the next
UNCONFIRMED_EVERY, MISSING_EVERY = 12, 10  # some details wait, some students have none


def _demo_account(pk: int, digits: int) -> str:
    return f"{pk:0{digits}d}"[-digits:]


def _finance_colleague(username: str):
    """A Finance user of the demo's past (no password: nobody signs in as them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from avataq.roles import FINANCE

    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=FINANCE))
    return user


def payments_demo_seed(*, today: dt.date | None = None) -> int:
    """Bank details for the demo students with payments coming and for the schools
    (entered by one Finance colleague, confirmed by another; a few still waiting, a few
    students with none), then two runs: the students' next payments, approved, and the
    schools', waiting for a second person's approval — which the ``finance`` login may
    give. Once: nothing is added when a run exists. Returns how many details were set."""
    from billing.models import BankDetails, PaymentRun
    from billing.payments import runs
    from billing.payments.bank_details import bank_details_confirm, bank_details_set
    from billing.signals import bank_details_changed

    if PaymentRun.objects.exists():
        return 0
    today = today or timezone.localdate()
    preparer, approver = _finance_colleague(DEMO_PREPARER), _finance_colleague(DEMO_APPROVER)
    scheduled = ScheduledPayment.objects.filter(status=Payment.SCHEDULED, due_date__gte=today)
    until = {
        payee: (first or today) + RUN_AHEAD
        for payee in ("student", "school")
        for first in [scheduled.filter(payee=payee).aggregate(first=Min("due_date"))["first"]]
    }
    students = (
        scheduled.filter(payee="student", due_date__lte=until["student"])
        .values_list(
            "enrollment__student_id",
            "enrollment__student__first_name",
            "enrollment__student__last_name",
        )
        .distinct()
        .order_by("enrollment__student_id")
    )
    schools = School.objects.filter(bank_details__isnull=True).order_by("pk")
    done = 0
    with _nobody_told(bank_details_changed):
        for n, (pk, first, last) in enumerate(students):
            if (
                n % MISSING_EVERY == MISSING_EVERY - 1
                or BankDetails.objects.filter(student_id=pk).exists()
            ):
                continue
            details = bank_details_set(
                student=Student.objects.get(pk=pk),
                holder_name=f"{first} {last}",
                institution="815",
                transit=f"{30000 + pk % 900:05d}",
                account=_demo_account(pk * 7919, 9),
                by=preparer,
            )
            if n % UNCONFIRMED_EVERY:
                bank_details_confirm(details=details, by=approver)
            done += 1
        for school in schools:
            details = bank_details_set(
                school=school,
                holder_name=school.name[:100],
                institution="006",
                transit=f"{10000 + school.pk:05d}",
                account=_demo_account(school.pk * 104729, 7),
                by=preparer,
            )
            bank_details_confirm(details=details, by=approver)
            done += 1
    with _nobody_told(payment_sent):
        approved = runs.payment_run_build(
            due_until=until["student"], payee_kind="student", by=preparer
        )
        if approved.payment_count:
            runs.payment_run_approve(run=approved, by=approver)
        runs.payment_run_build(due_until=until["school"], payee_kind="school", by=preparer)
    return done
