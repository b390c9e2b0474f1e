"""Demo billing data: a rate schedule per demo year with fares and school fees, validated
sheets for the approved enrollments of sessions that have started, and the program's bank
accounts with a month of statement to reconcile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from billing.bulk import sheets_compute_bulk
from billing.models import (
    BankAccount,
    CommunityFare,
    ComputingSheetLine,
    RateSchedule,
    ScheduledPayment,
    SchoolFee,
)
from enrollment.models import Enrollment
from scholarships.models import Community, ScholarYear, School

FARES = {  # return fares to Montréal, roughly by distance
    "kuujjuaraapik": "1650", "umiujaq": "1900", "inukjuak": "2100", "puvirnituq": "2250",
    "akulivik": "2450", "ivujivik": "2600", "salluit": "2600", "kangiqsujuaq": "2500",
    "quaqtaq": "2450", "kangirsuk": "2350", "aupaluk": "2300", "tasiujaq": "2250",
    "kuujjuaq": "1950", "kangiqsualujjuaq": "2200",
}  # fmt: skip


@transaction.atomic
def billing_demo_seed(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    communities = {c.code: c for c in Community.objects.all()}
    for year in ScholarYear.objects.all():
        rates, created = RateSchedule.objects.get_or_create(
            scholar_year=year,
            defaults={
                "tuition_cap": Decimal("3200.00"), "books_full_time": Decimal("450.00"),
                "books_part_time": Decimal("225.00"), "living_single": Decimal("1150.00"),
                "living_with_spouse": Decimal("1725.00"), "living_per_dependant": Decimal("310.00"),
                "housing_supplement": Decimal("475.00"), "round_trips_per_session": 1,
                "childcare_per_dependant": Decimal("260.00"), "payment_day": 1,
            },
        )  # fmt: skip
        if created:
            CommunityFare.objects.bulk_create(
                [
                    CommunityFare(rates=rates, community=communities[code],
                                  round_trip_fare=Decimal(fare))
                    for code, fare in FARES.items()
                    if code in communities
                ]
            )  # fmt: skip
            SchoolFee.objects.bulk_create(
                [SchoolFee(rates=rates, school=school, load=load,
                           fee=Decimal("2900.00") if load == "full_time" else Decimal("1450.00"))
                 for school in School.objects.all() for load in ("full_time", "part_time")]
            )  # fmt: skip
    started = Enrollment.objects.filter(
        session__start_date__lte=today, status__in=["approved", "active", "completed"]
    )
    # Sheets are validated a couple of weeks before their session starts, so the demo has
    # the months already paid (and a statement of them to reconcile), not only what is due.
    first_start = started.aggregate(first=Min("session__start_date"))["first"]
    validated_on = min(today, first_start - dt.timedelta(days=14)) if first_start else today
    return sheets_compute_bulk(enrollments=started, validate=True, today=validated_on).validated


# --- bank accounts and a month of statement ----------------------------------------------
DEMO_ACCOUNTS = [
    # name, institution, last digits, currency, CSV layout
    ("Operations", "Desjardins", "4821", "CAD", "desjardins"),
    ("Tuition", "RBC Royal Bank", "7310", "CAD", "rbc"),
]
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


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
    allowances paid (most with their reference, some with only the student's name, one
    a little short), bank fees and the program's funding — balanced to the cent."""
    start = today - dt.timedelta(days=35)
    payments = list(
        ScheduledPayment.objects.filter(
            payee=ComputingSheetLine.Payee.STUDENT,
            amount__gt=0,
            status=ScheduledPayment.Status.SCHEDULED,
            due_date__range=(start, today - dt.timedelta(days=5)),
        )
        .select_related("enrollment__student")
        .order_by("due_date", "reference")[:80]
    )
    entries, total = [], Decimal(0)
    for number, payment in enumerate(payments, start=1):
        student = payment.enrollment.student
        name = f"{student.first_name} {student.last_name}"
        amount, text = payment.amount, f"AVATAQ {payment.reference}"
        if number % 4 == 0:
            text = f"VIREMENT {name.upper()}"  # the bank kept only the name
        elif number % 10 == 3:
            amount -= Decimal("0.50")  # a bank charge taken off the transfer
        day = payment.due_date + dt.timedelta(days=1)
        entries.append(_entry(number, amount, True, day, text, name))
        total -= amount
    for extra, (amount, debit, text, party) in enumerate(
        [
            (Decimal("18.50"), True, "FRAIS DE SERVICE MENSUELS", "Desjardins"),
            (Decimal("350000.00"), False, "FINANCEMENT PROGRAMME POSTSECONDAIRE", "KRG"),
            (Decimal("4.25"), True, "FRAIS VIREMENTS INTERAC", "Desjardins"),
        ],
        start=len(entries) + 1,
    ):
        entries.append(_entry(extra, amount, debit, start + dt.timedelta(days=extra % 28), text,
                              party))  # fmt: skip
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


def bank_demo_seed(*, today: dt.date | None = None) -> int:
    """The program's two bank accounts and a month of Operations' statement, imported as
    Finance would (once: nothing is added when the accounts exist). Lines imported."""
    from billing.statement_files import statement_file_receive

    if BankAccount.objects.exists():
        return 0
    today = today or timezone.localdate()
    for name, institution, digits, currency, preset in DEMO_ACCOUNTS:
        BankAccount.objects.create(
            name=name, institution=institution, account_number=digits, currency=currency,
            csv_preset=preset,
        )  # fmt: skip
    job = statement_file_receive(
        data=demo_statement(today=today),
        filename=f"desjardins-operations-{today:%Y-%m}.xml",
        source_format="camt053",
        account=None,
        by=None,
    )
    return job.lines_new
