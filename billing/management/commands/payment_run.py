import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from avataq.errors import AvataqError
from billing.management.commands.compute_sheets import TERMS
from billing.models import PaymentRun
from billing.payments import ledger, runs
from scholarships.models import Session


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date such as 2025-10-01") from None


class Command(BaseCommand):
    help = (
        "Payment runs for ops: build (prepared by --by), approve (by another Finance "
        "user), file (produce the bank files, mark the payments sent), cancel, export "
        "(the general ledger of a run or a month, as CSV or Xero's manual-journal import)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="a run from the payments due")
        build.add_argument("--due-until", required=True, help="YYYY-MM-DD")
        build.add_argument("--payee", choices=["student", "school"], default="")
        build.add_argument("--session", help="session code, e.g. 2025F")
        build.add_argument("--pay-on", help="YYYY-MM-DD (default: the later of today and due)")
        for name in ("approve", "file", "cancel"):
            step = sub.add_parser(name)
            step.add_argument("run", type=int, help="the run's number")
        for action in sub.choices.values():
            action.add_argument("--by", required=True, help="username of the Finance user")
        export = sub.add_parser("export", help="the general ledger of a month or of a run")
        scope = export.add_mutually_exclusive_group(required=True)
        scope.add_argument("--month", help="YYYY-MM: the runs paid, returns and write-offs")
        scope.add_argument("--run", type=int, help="the run's number (a sent run)")
        export.add_argument("--format", choices=ledger.FORMATS, default="gl")
        export.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, action: str, by: str = "", **options) -> None:
        if action == "export":
            return self._export(options)
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"--by {by!r}: no such user")
        if not user.has_perm("billing.change_paymentrun"):
            raise CommandError(f"--by {by!r}: not a Finance user (payment runs are theirs)")
        try:
            if action == "build":
                run = self._build(user, options)
            else:
                run = PaymentRun.objects.filter(pk=options["run"]).first()
                if run is None:
                    raise CommandError(f"no payment run {options['run']}")
                step = {
                    "approve": runs.payment_run_approve,
                    "file": runs.payment_run_send,
                    "cancel": runs.payment_run_cancel,
                }[action]
                run = step(run=run, by=user)
        except AvataqError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"run {run.pk}: {run.get_status_display()}, {run.payment_count} payments, "
            f"{run.total} CAD, {run.exclusions.count()} left out"
            + (f"; files {run.pain001_key} {run.cpa005_key}" if run.pain001_key else "")
        )

    def _export(self, options) -> None:
        try:
            if options["run"] is not None:
                run = PaymentRun.objects.filter(pk=options["run"]).first()
                if run is None:
                    raise CommandError(f"no payment run {options['run']}")
                entries = ledger.run_entries(run)
            else:
                entries = ledger.month_entries(options["month"])
            data = ledger.render(entries, options["format"])
        except AvataqError as exc:
            raise CommandError(str(exc)) from None
        if options.get("output"):
            try:
                with open(options["output"], "wb") as out:
                    out.write(data)
            except OSError as exc:
                raise CommandError(f"--output {options['output']!r}: {exc.strerror}") from None
            self.stderr.write(f"{len(entries)} ledger lines written to {options['output']}")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")

    def _build(self, user, options) -> PaymentRun:
        session = None
        if options.get("session"):
            match = re.fullmatch(r"(\d{4})([FWS])", options["session"].upper())
            session = (
                match
                and Session.objects.filter(start_date__year=match[1], term=TERMS[match[2]]).first()
            )
            if not session:
                raise CommandError(f"--session {options['session']!r}: no such session")
        return runs.payment_run_build(
            due_until=_date(options["due_until"]),
            payee_kind=options["payee"] or "",
            session=session,
            execution_date=_date(options["pay_on"]) if options.get("pay_on") else None,
            by=user,
        )
