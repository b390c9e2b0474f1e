"""The finance screens under /finance/ (the Finance group; plain HTML forms, no JavaScript
needed): statements, reconciling one, reports and their CSV export.

Every query parameter and posted value is read through a small form with bounds: a bad one
is told to the user (a message, or a 400 page), never a 500 nor a database error."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from avataq.money import money
from billing import exports, reconciliation, selectors_finance, statement_files
from billing.models import (
    BankAccount,
    BankStatement,
    Match,
    ScheduledPayment,
    SchoolInvoice,
    StatementImport,
    StatementLine,
)

FINANCE = "billing.change_match"
MAX_ID = 2**63 - 1  # a bigint primary key
MAX_REPORT_DAYS = 36500
MAX_UPLOAD = 20 * 1024 * 1024


class MoneyField(forms.DecimalField):
    """An amount as a money column holds it: finite, ``max_digits=12, decimal_places=2``,
    and rounded to the cent (``0E+9999`` is zero, not a number PostgreSQL refuses)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def clean(self, value: object) -> Decimal | None:
        amount = super().clean(value)
        return None if amount is None else money(amount)


def _id_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


AMOUNT = MoneyField()
ID = _id_field()


class ReportQuery(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Days"), required=False, min_value=0, max_value=MAX_REPORT_DAYS
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", "HTML"), ("csv", "CSV"), ("xlsx", "XLSX")],
    )


class PageForm(forms.Form):
    """Where on a statement's page: the lines shown and the page number."""

    show = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[(key, key) for key in selectors_finance.LINE_FILTERS],
    )
    page = forms.IntegerField(
        label=gettext_lazy("Page"), required=False, min_value=1, max_value=10**7
    )


class LinesQuery(PageForm):
    """The reconcile page's query; ``line``: the line a payment is searched for (the
    results are offered as buttons matching it)."""

    q = forms.CharField(label=gettext_lazy("Find payments"), required=False, max_length=100)
    line = _id_field(label=gettext_lazy("Line"), required=False)


class AcceptForm(forms.Form):
    line = _id_field(label=gettext_lazy("Line"), required=False)
    threshold = forms.FloatField(
        label=gettext_lazy("Confidence"), required=False, min_value=0, max_value=1
    )
    payment = _id_field(label=gettext_lazy("Payment"), required=False)  # a candidate chosen


class LineForm(forms.Form):
    line = _id_field(label=gettext_lazy("Line"))


class InvoiceMatchForm(forms.Form):
    invoice = forms.CharField(label=gettext_lazy("Invoice number"), max_length=40)
    amount = MoneyField(label=gettext_lazy("Amount"), required=False)


class WriteOffForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("Amount"))
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=1000)


def _refuse(request: HttpRequest, form: forms.Form) -> None:
    """Tell the user, in their language, which value was refused and why."""
    for name, errors in form.errors.items():
        for error in errors:
            messages.error(
                request,
                gettext("%(field)s: %(problem)s")
                % {"field": form.fields[name].label, "problem": error},
            )


def _id(text: str) -> int | None:
    try:
        return ID.clean(text)
    except ValidationError:
        return None


def finance_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(FINANCE):
            raise PermissionDenied("The finance screens are for the Finance group.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@finance_required
def home(request: HttpRequest) -> HttpResponse:
    chart = selectors_finance.monthly_chart()
    peak = max((r + o for _, r, o in chart), default=Decimal(1)) or Decimal(1)
    bars = [(month, r, o, int(r / peak * 100), int(o / peak * 100)) for month, r, o in chart]
    return render(
        request,
        "billing/finance_home.html",
        {
            "statements": selectors_finance.statements_with_progress()[:50],
            "files": StatementImport.objects.select_related("account")[:10],
            "accounts": BankAccount.objects.all(),
            "formats": BankStatement.Format.choices,
            "bars": bars,
        },
    )


@require_POST
@finance_required
def upload(request: HttpRequest) -> HttpResponse:
    """Send a statement file: "from the file" (no account) routes each statement the file
    holds to the account it names; an account chosen is the one a CSV is for, and the only
    one any statement of the file may name."""
    chosen = request.POST.get("account", "")
    account = get_object_or_404(BankAccount, pk=_id(chosen) or 0) if chosen else None
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_UPLOAD:
        messages.error(request, gettext("Choose a statement file (20 MB at most)."))
        return redirect("finance:home")
    job = statement_files.statement_file_receive(
        data=upload.read(),
        filename=upload.name or "",
        source_format=request.POST.get("format", ""),
        account=account,
        by=request.user,
    )
    return _after_import(request, job)


def _after_import(request: HttpRequest, job: StatementImport) -> HttpResponse:
    """Where a sent file leads: its reason when refused, its statement when it held one,
    else the file's own page (still importing, or several statements)."""
    if job.status == StatementImport.Status.FAILED:
        messages.error(
            request,
            gettext("%(file)s was not imported: %(problem)s.")
            # The sentence ends here: a reason written as a sentence loses its own full stop.
            % {"file": job.filename, "problem": job.error.rstrip(".")},
        )
        return redirect("finance:home")
    if job.status != StatementImport.Status.DONE:
        return redirect("finance:file", pk=job.pk)
    messages.success(
        request,
        gettext("%(new)d new line(s) of %(read)d; %(applied)d reconciled by their reference.")
        % {"new": job.lines_new, "read": job.lines_read, "applied": job.reconciled},
    )
    for note in filter(None, job.notes.splitlines()):
        messages.info(request, note)
    statements = list(job.statements.values_list("pk", flat=True))
    if len(statements) == 1:
        return redirect("finance:statement", pk=statements[0])
    return redirect("finance:file", pk=job.pk)


@require_GET
@finance_required
def statement_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A sent file: waiting or importing (the page refreshes itself), refused with the
    reason, or imported with its statements."""
    job = get_object_or_404(StatementImport.objects.select_related("account"), pk=pk)
    statements = job.statements.select_related("account").order_by("pk")
    response = render(
        request,
        "billing/statement_file.html",
        {"job": job, "statements": statements, "notes": list(filter(None, job.notes.splitlines()))},
    )
    if job.status in {StatementImport.Status.QUEUED, StatementImport.Status.RUNNING}:
        response["Refresh"] = "3"  # no JavaScript: the browser asks again in 3 seconds
    return response


FILTER_LABELS = {
    "all": gettext_lazy("All lines"),
    "suggested": gettext_lazy("With a suggestion"),
    "unmatched": gettext_lazy("Nothing suggested"),
    "matched": gettext_lazy("Matched"),
}
DEFAULT_THRESHOLD = 0.85


@require_GET
@finance_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """A page of the statement's lines (a filter, 100 a page) with their matches and stored
    proposals; a payment search, whose results match a line with one button."""
    statement = get_object_or_404(BankStatement.objects.select_related("account"), pk=pk)
    query, status = LinesQuery(request.GET), 200
    if not query.is_valid():
        _refuse(request, query)
        status = 400
    wanted = query.cleaned_data  # the values that are valid
    show = wanted.get("show") or "all"
    page = selectors_finance.statement_lines_page(
        statement, show=show, number=wanted.get("page") or 1
    )
    text = wanted.get("q") or ""
    # The line a payment is searched for, when it is on the page (its results match it).
    line = next((r for r in page.rows if r.line.pk == wanted.get("line") and r.open_debit), None)
    context = {
        "statement": statement,
        "page": page,
        "filters": [(key, label, page.counts[key]) for key, label in FILTER_LABELS.items()],
        "query": text,
        "found": selectors_finance.payments_found(text, owed=line and line.left) if text else [],
        "searched": line and line.line.pk,
        "threshold": DEFAULT_THRESHOLD,
        "search_limit": selectors_finance.SEARCH_RESULTS,
        "balance_warning": statement_files.balance_warning(statement),
    }
    return render(request, "billing/statement_reconcile.html", context, status=status)


def _back(request: HttpRequest, statement_id: int, line_id: int | None = None) -> HttpResponse:
    """Back to the statement's page the form was posted from (its filter and page), at
    the line acted on."""
    where = PageForm(request.POST)
    kept = {k: v for k, v in where.cleaned_data.items() if v} if where.is_valid() else {}
    url = reverse("finance:statement", args=[statement_id])
    if kept:
        url += "?" + urlencode(kept)
    if line_id:
        url += f"#line-{line_id}"
    return redirect(url)


@require_POST
@finance_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept proposals: one line's (``line``), one of a line's candidates (``line`` and
    ``payment``), or every single suggestion at or above ``threshold``."""
    statement = get_object_or_404(BankStatement, pk=pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return _back(request, statement.pk)
    line, payment = form.cleaned_data["line"], form.cleaned_data["payment"]
    if payment is not None:
        if line is None:
            messages.error(request, gettext("Which line?"))
            return _back(request, statement.pk)
        try:
            reconciliation.proposal_choose(
                statement=statement, line_id=line, payment_id=payment, by=request.user
            )
            messages.success(request, gettext("Matched."))
        except reconciliation.ReconciliationConflict as exc:
            messages.error(request, str(exc))
        return _back(request, statement.pk, line)
    threshold = form.cleaned_data["threshold"]
    accepted, problems = reconciliation.proposals_accept(
        statement=statement,
        line_id=line,
        threshold=1.01 if threshold is None else threshold,  # none given: only the line
        by=request.user,
    )
    for problem in problems:
        messages.error(request, problem)
    messages.success(request, gettext("%(count)d match(es) made.") % {"count": accepted})
    return _back(request, statement.pk, line)


@require_POST
@finance_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggestion, or the candidates, of a line are wrong: not offered again."""
    statement = get_object_or_404(BankStatement, pk=pk)
    form = LineForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Which line?"))
        return _back(request, statement.pk)
    line = form.cleaned_data["line"]
    try:
        reconciliation.suggestion_reject(statement=statement, line_id=line, by=request.user)
        messages.success(request, gettext("Suggestion rejected; it will not be offered again."))
    except reconciliation.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(request, statement.pk, line)


def _parts(
    line: StatementLine, pairs: list[tuple[int, Decimal | None]], payments: dict
) -> list[tuple[ScheduledPayment, Decimal]]:
    """The amounts of a match: as given; else, for one payment, what the line and the
    payment both have left; for several (a split), what each payment has left."""
    if any(amount is not None for _, amount in pairs):
        return [(payments[i], amount) for i, amount in pairs]
    left = {i: payments[i].amount - payments[i].reconciled_amount for i, _ in pairs}
    if len(pairs) == 1:
        [(i, _)] = pairs
        return [(payments[i], min(left[i], abs(line.amount) - line.matched_amount))]
    return [(payments[i], left[i]) for i, _ in pairs]


@require_POST
@finance_required
def manual(request: HttpRequest, line_pk: int) -> HttpResponse:
    """Match a line by hand to one or several payments (a split) found by the search:
    ``payment`` repeated, with ``amount`` repeated beside it, or without amounts (see
    :func:`_parts`)."""
    line = get_object_or_404(StatementLine, pk=line_pk)
    ids, amounts = request.POST.getlist("payment"), request.POST.getlist("amount")
    try:
        if "amount" in request.POST:
            pairs = [
                (ID.clean(i), AMOUNT.clean(a))
                for i, a in zip(ids, amounts, strict=True)
                if a.strip()
            ]
        else:
            pairs = [(ID.clean(i), None) for i in ids]
    except (ValueError, ValidationError):  # ValueError: not as many payments as amounts
        messages.error(request, gettext("Give a payment and an amount for each part."))
        return _back(request, line.statement_id, line.pk)
    payments = ScheduledPayment.objects.in_bulk([i for i, _ in pairs])
    unknown = [i for i, _ in pairs if i not in payments]
    if unknown:
        messages.error(request, gettext("There is no payment #%(id)d.") % {"id": unknown[0]})
        return _back(request, line.statement_id, line.pk)
    try:
        reconciliation.match_create(line=line, parts=_parts(line, pairs, payments), by=request.user)
        messages.success(request, gettext("Matched."))
    except reconciliation.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(request, line.statement_id, line.pk)


@require_POST
@finance_required
def invoice(request: HttpRequest, line_pk: int) -> HttpResponse:
    """Match a line to a school invoice, by its number (and school code when ambiguous)."""
    line = get_object_or_404(StatementLine, pk=line_pk)
    form = InvoiceMatchForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return _back(request, line.statement_id, line.pk)
    number = form.cleaned_data["invoice"]
    invoices = list(SchoolInvoice.objects.filter(invoice_number__iexact=number)[:2])
    if len(invoices) != 1:
        messages.error(
            request, gettext("No single invoice numbered %(number)s.") % {"number": repr(number)}
        )
        return _back(request, line.statement_id, line.pk)
    amount = form.cleaned_data["amount"]
    try:
        reconciliation.invoice_match(
            line=line,
            invoice=invoices[0],
            amount=-line.amount if amount is None else amount,
            by=request.user,
        )
        messages.success(
            request, gettext("Matched to invoice %(invoice)s.") % {"invoice": invoices[0]}
        )
    except reconciliation.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(request, line.statement_id, line.pk)


@require_POST
@finance_required
def write_off(request: HttpRequest, line_pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine, pk=line_pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return _back(request, line.statement_id, line.pk)
    try:
        reconciliation.write_off(
            line=line,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        messages.success(request, gettext("Written off."))
    except reconciliation.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(request, line.statement_id, line.pk)


@require_POST
@finance_required
def undo(request: HttpRequest, match_pk: int) -> HttpResponse:
    match = get_object_or_404(Match.objects.select_related("line"), pk=match_pk)
    try:
        reconciliation.match_undo(match=match, by=request.user)
        messages.success(request, gettext("Undone."))
    except reconciliation.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(request, match.line.statement_id, match.line_id)


@require_GET
@finance_required
def reports(request: HttpRequest) -> HttpResponse:
    query, status = ReportQuery(request.GET), 200
    if query.is_valid():
        days, export = query.cleaned_data["days"], query.cleaned_data["format"]
    else:
        _refuse(request, query)
        days, export, status = None, "", 400
    days = 30 if days is None else days
    rows = selectors_finance.payments_report()
    if export in {"csv", "xlsx"}:
        return _export(rows, export)
    return render(
        request,
        "billing/finance_reports.html",
        {
            "rows": rows,
            "days": days,
            "max_days": MAX_REPORT_DAYS,
            "written_off": selectors_finance.written_off_total(),
            "unmatched": selectors_finance.unmatched_lines(older_than_days=days)[:200],
        },
        status=status,
    )


def _export(rows: list, kind: str) -> HttpResponse:
    """The report per session and school, and the unmatched lines (Excel only)."""
    report = exports.Sheet(
        title=gettext("Reconciliation"),
        header=[
            gettext("Session"),
            gettext("Paid to"),
            gettext("Scheduled"),
            gettext("Paid"),
            gettext("Reconciled"),
            gettext("Outstanding"),
        ],
        rows=[
            [r.session, r.school, r.scheduled, r.paid, r.reconciled, r.outstanding] for r in rows
        ],
    )
    if kind == "csv":
        return exports.csv_response("reconciliation-report.csv", report)
    unmatched = exports.Sheet(
        title=gettext("Unmatched lines"),
        header=[gettext("Date"), gettext("Account"), gettext("Line"), gettext("Amount")],
        rows=[
            [line.booked_on, line.account.name, line.description, line.amount]
            for line in selectors_finance.unmatched_lines(older_than_days=0)[:50_000]
        ],
    )
    return exports.xlsx_response("reconciliation-report.xlsx", [report, unmatched])
