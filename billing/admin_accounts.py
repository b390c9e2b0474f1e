"""Finance sets up the program's bank accounts here: the digits and currency that route a
statement to each, and how its bank's CSV or Excel export reads (a preset for the banks
the program uses, or columns mapped by hand), with a preview of a sample file."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from avataq.admin import guarded_view
from billing.models import BankAccount, BankStatement
from billing.statements import PRESETS, StatementError, read_file

PREVIEW_LINES = 12
PREVIEW_MAX_BYTES = 5 * 1024 * 1024


def preset_choices() -> list[tuple[str, str]]:
    return [("", _("Mapped by hand (below)"))] + [
        (code, str(preset.label)) for code, preset in sorted(PRESETS.items())
    ]


class BankAccountForm(forms.ModelForm):
    csv_preset = forms.ChoiceField(label=_("CSV layout"), required=False, choices=preset_choices)

    class Meta:
        model = BankAccount
        fields = ["name", "institution", "account_number", "currency", "csv_preset", "csv_mapping"]

    def clean_csv_mapping(self) -> dict:
        mapping = self.cleaned_data.get("csv_mapping") or {}
        if not isinstance(mapping, dict):
            raise forms.ValidationError(_('A JSON object, e.g. {"date": "Date", "amount": …}.'))
        return mapping


class PreviewForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=BankStatement.Format.choices)
    sample = forms.FileField(label=_("A sample statement file"))


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    form = BankAccountForm
    list_display = ["name", "institution", "account_number", "currency", "layout", "preview"]
    search_fields = ["name", "institution", "account_number"]
    fieldsets = [
        (None, {"fields": ["name", "institution", ("account_number", "currency")]}),
        (_("How its CSV or Excel export reads"), {"fields": ["csv_preset", "csv_mapping"]}),
    ]

    @admin.display(description=_("CSV layout"))
    def layout(self, account: BankAccount) -> str:
        preset = PRESETS.get(account.csv_preset)
        return str(preset.label) if preset else gettext("by hand")

    @admin.display(description=_("preview"))
    def preview(self, account: BankAccount) -> str:
        url = reverse("admin:billing_bankaccount_preview", args=[account.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Try a sample file"))

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/preview/",
                guarded_view(self, self.preview_view, action="change"),
                name="billing_bankaccount_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Read a sample file with the account's layout and show its first lines (or why
        it cannot be read). Nothing is stored."""
        account = get_object_or_404(self.get_queryset(request), pk=pk)
        form = PreviewForm(request.POST or None, request.FILES or None)
        statements, error = [], ""
        if request.method == "POST" and form.is_valid():
            sample = form.cleaned_data["sample"]
            if sample.size > PREVIEW_MAX_BYTES:
                error = gettext("A sample of 5 MB at most, please.")
            else:
                try:
                    statements = read_file(
                        sample.read(),
                        source_format=form.cleaned_data["format"],
                        mapping=account.statement_mapping(),
                    )
                except StatementError as exc:
                    error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Try a sample file with %(account)s") % {"account": account},
            "account": account,
            "form": form,
            "error": error,
            "statements": [(s, s.lines[:PREVIEW_LINES], len(s.lines)) for s in statements],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/bankaccount_preview.html", context)
