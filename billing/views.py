"""The finance screens under /finance/ (the Finance group; plain HTML forms, no JavaScript
needed): statements, reconciling one, reports and their CSV export.

Every query parameter and posted value is read through a small form with bounds: a bad one
is told to the user (a message, or a 400 page), never a 500 nor a database error."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from avataq.money import money
from billing import matching, selectors_finance, services
from billing.models import (
    BankAccount,
    BankStatement,
    Match,
    ScheduledPayment,
    SchoolInvoice,
    StatementLine,
)
from billing.statements import StatementError

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


class SearchQuery(forms.Form):
    q = forms.CharField(label=gettext_lazy("Find payments"), required=False, max_length=100)


class AcceptForm(forms.Form):
    line = _id_field(label=gettext_lazy("Line"), required=False)
    threshold = forms.FloatField(
        label=gettext_lazy("Confidence"), required=False, min_value=0, max_value=1
    )


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
            "accounts": BankAccount.objects.all(),
            "formats": BankStatement.Format.choices,
            "bars": bars,
        },
    )


@require_POST
@finance_required
def upload(request: HttpRequest) -> HttpResponse:
    account = get_object_or_404(BankAccount, pk=_id(request.POST.get("account", "")) or 0)
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_UPLOAD:
        messages.error(request, gettext("Choose a statement file (20 MB at most)."))
        return redirect("finance:home")
    try:
        # One transaction: a file refused, or a match that cannot be made, keeps nothing.
        statement, applied = services.statement_import_and_reconcile(
            account=account,
            data=upload.read(),
            filename=upload.name,
            source_format=request.POST.get("format", ""),
            by=request.user,
        )
    except (StatementError, matching.ReconciliationConflict) as exc:
        messages.error(
            request,
            gettext("%(file)s was not imported: %(problem)s.")
            % {"file": upload.name, "problem": exc},
        )
        return redirect("finance:home")
    messages.success(
        request,
        gettext("%(new)d new line(s) of %(read)d; %(applied)d reconciled by their reference.")
        % {"new": statement.lines_new, "read": statement.lines_read, "applied": applied},
    )
    return redirect("finance:statement", pk=statement.pk)


@require_GET
@finance_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement.objects.select_related("account"), pk=pk)
    proposals = {p.line_id: p for p in matching.statement_proposals(statement=statement)}
    payment_ids = {i for p in proposals.values() for i in p.payment_ids}
    payments = ScheduledPayment.objects.in_bulk(payment_ids)
    lines = list(selectors_finance.statement_lines(statement))
    search, status = SearchQuery(request.GET), 200
    query = search.cleaned_data["q"] if search.is_valid() else ""
    if search.errors:
        _refuse(request, search)
        status = 400
    found = []
    if query:
        found = list(
            ScheduledPayment.objects.filter(status__in=matching.MATCHABLE)
            .filter(_search(query))
            .select_related("enrollment__student")[:20]
        )
    rows = [
        (
            line,
            proposals.get(line.pk),
            [payments[i] for i in proposals[line.pk].payment_ids] if line.pk in proposals else [],
        )
        for line in lines
    ]
    context = {"statement": statement, "rows": rows, "query": query, "found": found}
    return render(request, "billing/statement_reconcile.html", context, status=status)


def _search(query: str) -> Q:
    condition = Q(reference__iexact=query) | Q(enrollment__student__status_no=query)
    try:
        condition |= Q(amount=AMOUNT.clean(query))
    except ValidationError:  # not an amount a payment can have: a name
        condition |= Q(enrollment__student__last_name__icontains=query)
    return condition


def _back(line: StatementLine) -> HttpResponse:
    return redirect("finance:statement", pk=line.statement_id)


@require_POST
@finance_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept proposals: one (``line``) or all at or above ``threshold``."""
    statement = get_object_or_404(BankStatement, pk=pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return redirect("finance:statement", pk=statement.pk)
    threshold = form.cleaned_data["threshold"]
    accepted, problems = matching.proposals_accept(
        statement=statement,
        line_id=form.cleaned_data["line"],
        threshold=1.01 if threshold is None else threshold,  # none given: only the line
        by=request.user,
    )
    for problem in problems:
        messages.error(request, problem)
    messages.success(request, gettext("%(count)d match(es) made.") % {"count": accepted})
    return redirect("finance:statement", pk=statement.pk)


@require_POST
@finance_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement, pk=pk)
    form = LineForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Which line?"))
        return redirect("finance:statement", pk=statement.pk)
    try:
        matching.suggestion_reject(
            statement=statement, line_id=form.cleaned_data["line"], by=request.user
        )
        messages.success(request, gettext("Suggestion rejected; it will not be offered again."))
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return redirect("finance:statement", pk=statement.pk)


@require_POST
@finance_required
def manual(request: HttpRequest, line_pk: int) -> HttpResponse:
    """Match a line by hand to one or several payments (a split): ``payment`` and
    ``amount`` repeated."""
    line = get_object_or_404(StatementLine, pk=line_pk)
    ids, amounts = request.POST.getlist("payment"), request.POST.getlist("amount")
    try:
        pairs = [
            (ID.clean(i), AMOUNT.clean(a)) for i, a in zip(ids, amounts, strict=True) if a.strip()
        ]
    except (ValueError, ValidationError):  # ValueError: not as many payments as amounts
        messages.error(request, gettext("Give a payment and an amount for each part."))
        return _back(line)
    payments = ScheduledPayment.objects.in_bulk([i for i, _ in pairs])
    unknown = [i for i, _ in pairs if i not in payments]
    if unknown:
        messages.error(request, gettext("There is no payment #%(id)d.") % {"id": unknown[0]})
        return _back(line)
    try:
        matching.match_create(
            line=line, parts=[(payments[i], a) for i, a in pairs], by=request.user
        )
        messages.success(request, gettext("Matched."))
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def invoice(request: HttpRequest, line_pk: int) -> HttpResponse:
    """Match a line to a school invoice, by its number (and school code when ambiguous)."""
    line = get_object_or_404(StatementLine, pk=line_pk)
    form = InvoiceMatchForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return _back(line)
    number = form.cleaned_data["invoice"]
    invoices = list(SchoolInvoice.objects.filter(invoice_number__iexact=number)[:2])
    if len(invoices) != 1:
        messages.error(
            request, gettext("No single invoice numbered %(number)s.") % {"number": repr(number)}
        )
        return _back(line)
    amount = form.cleaned_data["amount"]
    try:
        matching.invoice_match(
            line=line,
            invoice=invoices[0],
            amount=-line.amount if amount is None else amount,
            by=request.user,
        )
        messages.success(
            request, gettext("Matched to invoice %(invoice)s.") % {"invoice": invoices[0]}
        )
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def write_off(request: HttpRequest, line_pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine, pk=line_pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return _back(line)
    try:
        matching.write_off(
            line=line,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        messages.success(request, gettext("Written off."))
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def undo(request: HttpRequest, match_pk: int) -> HttpResponse:
    match = get_object_or_404(Match, pk=match_pk)
    try:
        matching.match_undo(match=match, by=request.user)
        messages.success(request, gettext("Undone."))
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return redirect("finance:statement", pk=match.line.statement_id)


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


REPORT_COLUMNS = ["session", "school", "scheduled", "paid", "reconciled", "outstanding"]


def _export(rows: list, kind: str) -> HttpResponse:
    values = [[r.session, r.school, r.scheduled, r.paid, r.reconciled, r.outstanding] for r in rows]
    if kind == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reconciliation-report.csv"'
        writer = csv.writer(response)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(values)
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Reconciliation")
    sheet.append(REPORT_COLUMNS)
    for row in values:
        sheet.append(row)  # Decimals stay exact numbers in the cells
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="reconciliation-report.xlsx"'
    book.save(response)
    return response
