"""The finance screens under /finance/ (the Finance group; plain HTML forms, no JavaScript
needed): statements, reconciling one, reports and their CSV export."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

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
    account_id = request.POST.get("account", "")
    account = get_object_or_404(BankAccount, pk=int(account_id) if account_id.isdigit() else 0)
    upload = request.FILES.get("file")
    if upload is None or upload.size > 20 * 1024 * 1024:
        messages.error(request, "Choose a statement file (20 MB at most).")
        return redirect("finance:home")
    try:
        statement = services.statement_import(
            account=account,
            data=upload.read(),
            filename=upload.name,
            source_format=request.POST.get("format", ""),
            by=request.user,
        )
    except StatementError as exc:
        messages.error(request, f"{upload.name} was not imported: {exc}.")
        return redirect("finance:home")
    applied = matching.statement_auto_reconcile(statement=statement, by=request.user)
    messages.success(
        request,
        f"{statement.lines_new} new line(s) of {statement.lines_read}; "
        f"{applied} reconciled by their reference.",
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
    query = request.GET.get("q", "").strip()
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
    return render(request, "billing/statement_reconcile.html", context)


def _search(query: str):
    from django.db.models import Q

    condition = Q(reference__iexact=query) | Q(enrollment__student__status_no=query)
    try:
        condition |= Q(amount=Decimal(query))
    except InvalidOperation:
        condition |= Q(enrollment__student__last_name__icontains=query)
    return condition


def _back(line: StatementLine) -> HttpResponse:
    return redirect("finance:statement", pk=line.statement_id)


@require_POST
@finance_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept proposals: one (``line``) or all at or above ``threshold``."""
    statement = get_object_or_404(BankStatement, pk=pk)
    wanted_line = request.POST.get("line")
    try:
        threshold = float(request.POST.get("threshold", "1.01"))
    except ValueError:
        threshold = 1.01
    line_id = int(wanted_line) if (wanted_line or "").isdigit() else None
    accepted, problems = matching.proposals_accept(
        statement=statement, line_id=line_id, threshold=threshold, by=request.user
    )
    for problem in problems:
        messages.error(request, problem)
    messages.success(request, f"{accepted} match(es) made.")
    return redirect("finance:statement", pk=statement.pk)


@require_POST
@finance_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement, pk=pk)
    try:
        line_id = int(request.POST.get("line", ""))
        matching.suggestion_reject(statement=statement, line_id=line_id, by=request.user)
        messages.success(request, "Suggestion rejected; it will not be offered again.")
    except ValueError:
        messages.error(request, "Which line?")
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
        parts = [
            (get_object_or_404(ScheduledPayment, pk=int(i)), Decimal(a))
            for i, a in zip(ids, amounts, strict=True)
            if a
        ]
        matching.match_create(line=line, parts=parts, by=request.user)
        messages.success(request, "Matched.")
    except (ValueError, InvalidOperation):
        messages.error(request, "Give a payment and an amount for each part.")
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def invoice(request: HttpRequest, line_pk: int) -> HttpResponse:
    """Match a line to a school invoice, by its number (and school code when ambiguous)."""
    line = get_object_or_404(StatementLine, pk=line_pk)
    number = request.POST.get("invoice", "").strip()
    invoices = list(SchoolInvoice.objects.filter(invoice_number__iexact=number)[:2])
    if len(invoices) != 1:
        messages.error(request, f"No single invoice numbered {number!r}.")
        return _back(line)
    try:
        amount = Decimal(request.POST.get("amount") or -line.amount)
        matching.invoice_match(line=line, invoice=invoices[0], amount=amount, by=request.user)
        messages.success(request, f"Matched to invoice {invoices[0]}.")
    except InvalidOperation:
        messages.error(request, "The amount is not a number.")
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def write_off(request: HttpRequest, line_pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine, pk=line_pk)
    try:
        matching.write_off(
            line=line,
            amount=Decimal(request.POST.get("amount", "")),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
        messages.success(request, "Written off.")
    except InvalidOperation:
        messages.error(request, "The amount is not a number.")
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return _back(line)


@require_POST
@finance_required
def undo(request: HttpRequest, match_pk: int) -> HttpResponse:
    match = get_object_or_404(Match, pk=match_pk)
    try:
        matching.match_undo(match=match, by=request.user)
        messages.success(request, "Undone.")
    except matching.ReconciliationConflict as exc:
        messages.error(request, str(exc))
    return redirect("finance:statement", pk=match.line.statement_id)


@require_GET
@finance_required
def reports(request: HttpRequest) -> HttpResponse:
    try:
        days = max(0, int(request.GET.get("days", "30")))
    except ValueError:
        days = 30
    rows = selectors_finance.payments_report()
    export = request.GET.get("format")
    if export in {"csv", "xlsx"}:
        return _export(rows, export)
    return render(
        request,
        "billing/finance_reports.html",
        {
            "rows": rows,
            "days": days,
            "written_off": selectors_finance.written_off_total(),
            "unmatched": selectors_finance.unmatched_lines(older_than_days=days)[:200],
        },
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
