"""The payment-run screens under /finance/runs/ (Finance): the list, building a run, a
run's page (totals per payee and overall, the payments left out and why), approving,
cancelling, producing the bank files, and downloading them through a 60-second link.
Every step calls one service; a refused step is told on the run's page, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from avataq.errors import AvataqError
from billing.models import PaymentRun
from billing.payments import ledger, runs
from billing.views import _refuse
from documents.storage import StorageUnavailable, document_storage
from scholarships.models import Session

RUNS = "billing.change_paymentrun"
LEDGER = "billing.export_ledger"
CONTENT_TYPES = {"pain001": "application/xml", "cpa005": "text/plain"}


def finance_required(permission: str) -> Callable[[Callable], Callable]:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied("This screen is for the Finance group.")
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorator


runs_required = finance_required(RUNS)
ledger_required = finance_required(LEDGER)


class BuildForm(forms.Form):
    due_until = forms.DateField(label=gettext_lazy("Due up to"))
    payee_kind = forms.ChoiceField(
        label=gettext_lazy("Payees"), choices=PaymentRun.PayeeKind.choices, required=False
    )
    session = forms.ModelChoiceField(
        label=gettext_lazy("Session"), queryset=Session.objects.all(), required=False
    )
    execution_date = forms.DateField(label=gettext_lazy("Pay on"), required=False)


@require_GET
@runs_required
def run_list(request: HttpRequest) -> HttpResponse:
    found = PaymentRun.objects.select_related("prepared_by", "approved_by", "session")[:200]
    return render(request, "billing/run_list.html", {"runs": found, "form": BuildForm()})


@require_POST
@runs_required
def run_build(request: HttpRequest) -> HttpResponse:
    form = BuildForm(request.POST)
    if not form.is_valid():
        _refuse(request, form)
        return redirect("finance:runs")
    try:
        run = runs.payment_run_build(
            by=request.user,
            **{
                "due_until": form.cleaned_data["due_until"],
                "payee_kind": form.cleaned_data["payee_kind"] or "",
                "session": form.cleaned_data["session"],
                "execution_date": form.cleaned_data["execution_date"],
            },
        )
    except AvataqError as exc:
        messages.error(request, str(exc))
        return redirect("finance:runs")
    return redirect("finance:run", pk=run.pk)


@require_GET
@runs_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        PaymentRun.objects.select_related("prepared_by", "approved_by", "cancelled_by"), pk=pk
    )
    exclusions = run.exclusions.select_related("payment__enrollment__student", "payment__school")
    return render(
        request,
        "billing/run_detail.html",
        {
            "run": run,
            "payees": runs.run_totals_by_payee(run),
            "exclusions": exclusions[:500],
            "may_approve": run.status == PaymentRun.Status.PREPARED
            and run.prepared_by_id != request.user.pk,
            "may_export": run.status == PaymentRun.Status.SENT and request.user.has_perm(LEDGER),
        },
    )


def _step(request: HttpRequest, pk: int, service: Callable, done: str) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=pk)
    try:
        service(run=run, by=request.user)
    except StorageUnavailable:
        messages.error(
            request,
            gettext(
                "The document storage is not answering; nothing was sent. Try again in a minute."
            ),
        )
    except AvataqError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("finance:run", pk=pk)


@require_POST
@runs_required
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, runs.payment_run_approve, gettext("The run is approved."))


@require_POST
@runs_required
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, runs.payment_run_cancel, gettext("The run is cancelled."))


@require_POST
@runs_required
def run_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        runs.payment_run_send,
        gettext("The bank files are produced and the payments marked sent."),
    )


@require_GET
@runs_required
def run_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A 60-second link to one of the run's files (they hold full account numbers: each
    download is logged as a reading of them)."""
    run = get_object_or_404(PaymentRun, pk=pk)
    key = getattr(run, f"{kind}_key", "") if kind in CONTENT_TYPES else ""
    if not key:
        raise Http404("No such file.")
    runs.run_file_downloaded(run=run, by=request.user, kind=kind)
    url = document_storage().download_url(
        key,
        filename=key.rsplit("/", 1)[-1],
        content_type=CONTENT_TYPES[kind],
        ttl=settings.DOCUMENT_URL_TTL,
    )
    return HttpResponseRedirect(url)


# --- the accounting export ---------------------------------------------------------------
class LedgerForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        help_text=gettext_lazy("Like 2026-09."),
        error_messages={"invalid": gettext_lazy("Write the month like 2026-09.")},
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Layout"),
        choices=[
            ("gl", gettext_lazy("General ledger (CSV)")),
            ("xero", gettext_lazy("Xero manual journal (CSV)")),
        ],
    )


def _csv_file(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@ledger_required
def run_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A sent run's ledger lines, as a general-ledger CSV or Xero's import."""
    run = get_object_or_404(PaymentRun, pk=pk)
    if fmt not in ledger.FORMATS:
        raise Http404("No such layout.")
    try:
        data = ledger.render(ledger.run_entries(run), fmt)
    except AvataqError as exc:
        messages.error(request, str(exc))
        return redirect("finance:run", pk=pk)
    return _csv_file(data, ledger.filename(f"run-{run.pk}", fmt))


@require_GET
@ledger_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The month export page; with a month and a layout asked, the file itself."""
    form = LedgerForm(request.GET or None)
    if form.is_bound and form.is_valid():
        month, fmt = form.cleaned_data["month"], form.cleaned_data["format"]
        try:
            data = ledger.render(ledger.month_entries(month), fmt)
        except AvataqError as exc:
            messages.error(request, str(exc))
        else:
            return _csv_file(data, ledger.filename(month, fmt))
    return render(
        request,
        "billing/run_ledger.html",
        {
            "form": form if form.is_bound else LedgerForm(),
            "codes": _ledger_codes(),
        },
    )


def _ledger_codes() -> list[tuple[str, str, str]]:
    """(kind, what it is, account code) as the export books them."""
    codes = ledger.account_codes()
    return [
        (kind, gettext(label), ledger.account_for(kind, codes))
        for kind, label in ledger.LEDGER_KINDS.items()
    ]
