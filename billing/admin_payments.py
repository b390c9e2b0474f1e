"""Bank details, the log of who read a full account number, and the ledger accounts of the
accounting export, in the admin.

Bank details are shown masked on the student's and the school's pages (an inline billing
adds to theirs) and on their own page, where Staff or Finance enter new ones — through
``bank_details_set``, so the change is in the history, the student is emailed and the
details wait for a second person — and where that second person confirms them (the one
who entered them cannot). Seeing the full number is a button of its own, and logged."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from avataq.admin import ReadOnlyAdmin, guarded_view
from avataq.errors import AvataqError
from billing.models import BankDetails, BankDetailsAccess, LedgerAccount
from billing.payments import ledger
from billing.payments.bank_details import (
    bank_details_clean,
    bank_details_confirm,
    bank_details_reveal,
    bank_details_set,
)
from billing.payments.errors import BankDetailsInvalid
from scholarships.admin import HistoryAdmin
from scholarships.models import School, Student

Status = BankDetails.Status
ENTRY_FIELDS = ["holder_name", "scheme", "institution", "transit", "account", "iban", "bic"]


class BankDetailsForm(forms.ModelForm):
    """New details for a student or a school: every field entered again (the stored
    number is never shown), checked as the service checks them, stored by the service."""

    account = forms.CharField(
        label=_("account number"),
        required=False,
        max_length=40,
        help_text=_("Canadian direct deposit: 7 to 12 digits."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        required=False,
        max_length=50,
        help_text=_("A school abroad: its IBAN, with the bank's BIC."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = BankDetails
        fields = ["student", "school", "holder_name", "scheme", "institution", "transit", "bic"]

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk:
            student, school = self.instance.student_id, self.instance.school_id
        else:
            student, school = data.get("student"), data.get("school")
            if (student is None) == (school is None):
                raise forms.ValidationError(
                    _("Bank details belong to one student or one school: choose one.")
                )
        try:
            self.checked = bank_details_clean(
                for_student=student is not None,
                **{name: data.get(name) or "" for name in ENTRY_FIELDS},
            )
        except BankDetailsInvalid as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def _post_clean(self) -> None:
        """The model is written by the service, which validates it: nothing to build."""


@admin.register(BankDetails)
class BankDetailsAdmin(HistoryAdmin):
    form = BankDetailsForm
    change_form_template = "admin/billing/bankdetails_change_form.html"
    list_display = [
        "__str__",
        "owner_name",
        "scheme",
        "status",
        "changed_by",
        "changed_at",
        "confirmed_by",
    ]
    list_filter = ["status", "scheme"]
    list_select_related = ["student", "school", "changed_by", "confirmed_by"]
    search_fields = ["=student__status_no", "student__last_name", "school__name", "holder_name"]
    autocomplete_fields = ["student", "school"]
    show_full_result_count = False
    STATE = ["masked", "status", "changed_by", "changed_at", "confirmed_by", "confirmed_at"]

    def get_fieldsets(self, request: HttpRequest, obj: BankDetails | None = None) -> list:
        entry = [
            (
                _("New details"),
                {
                    "fields": [
                        "holder_name",
                        "scheme",
                        ("institution", "transit"),
                        "account",
                        ("iban", "bic"),
                    ]
                },
            ),
        ]
        if obj is None:
            return [(None, {"fields": ["student", "school"]}), *entry]
        state = [(None, {"fields": ["owner_name", *self.STATE]})]
        return state + (entry if self.has_change_permission(request, obj) else [])

    def get_readonly_fields(self, request: HttpRequest, obj: BankDetails | None = None) -> list:
        return ["owner_name", *self.STATE] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_reveal_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("billing.reveal_bankdetails")

    @admin.display(description=_("account"))
    def masked(self, details: BankDetails) -> str:
        return details.masked

    @admin.display(description=_("student or school"))
    def owner_name(self, details: BankDetails) -> str:
        return str(details.owner)

    # Entering the details goes through the service (the admin's own save never runs).
    def save_form(self, request: HttpRequest, form: BankDetailsForm, change: bool) -> BankDetails:
        owner = (
            {"student": form.instance.student, "school": form.instance.school}
            if change
            else {
                "student": form.cleaned_data.get("student"),
                "school": form.cleaned_data.get("school"),
            }
        )
        return bank_details_set(
            **owner,
            by=request.user,
            **{name: form.cleaned_data.get(name) or "" for name in ENTRY_FIELDS},
        )

    def save_model(self, request: HttpRequest, obj: BankDetails, form, change: bool) -> None:
        """Already stored by the service (``save_form``)."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Bank details have no related rows to save."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["may_confirm"] = may_confirm(request, obj)
            context["may_reveal"] = self.has_reveal_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/confirm/",
                guarded_view(self, self.confirm_view, action="change"),
                name="billing_bankdetails_confirm",
            ),
            path(
                "<int:pk>/reveal/",
                guarded_view(self, self.reveal_view, action="reveal"),
                name="billing_bankdetails_reveal",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The second person's confirmation (a button on the details' and the owner's
        page); back to the page it was pressed on."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        details = get_object_or_404(BankDetails, pk=pk)
        try:
            bank_details_confirm(details=details, by=request.user)
        except AvataqError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The bank details are confirmed: payments may go to them."),
                messages.SUCCESS,
            )
        back = request.POST.get("_back", "")
        if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            return redirect(back)
        return redirect("admin:billing_bankdetails_change", pk)

    def reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The full account number, on a page of its own, after pressing a button: each
        time logged with who saw it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        details = get_object_or_404(BankDetails, pk=pk)
        if not self.has_view_permission(request, details):
            raise PermissionDenied
        number = bank_details_reveal(details=details, by=request.user, purpose="shown in the admin")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "details": details,
            "number": number,
            "title": gettext("Full account number"),
            "back": reverse("admin:billing_bankdetails_change", args=[pk]),
        }
        response = TemplateResponse(request, "admin/billing/bankdetails_reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response


def may_confirm(request: HttpRequest, details: BankDetails) -> bool:
    """Pending details, a user who may change them, and not the one who entered them."""
    return (
        details.status == Status.PENDING
        and request.user.has_perm("billing.change_bankdetails")
        and details.changed_by_id != request.user.pk
    )


class ShownOnlyFormSet(BaseInlineFormSet):
    """Rows shown on the owner's page and never posted back: the owner's form saves
    without them (nothing of the request is read, no management form is needed)."""

    def __init__(self, data=None, files=None, *args, **kwargs) -> None:
        super().__init__(None, None, *args, **kwargs)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []

    def is_valid(self) -> bool:
        return True

    def save(self, commit: bool = True) -> list:
        return []


class OwnerBankDetailsInline(admin.StackedInline):
    """The owner's bank details, masked, on the student's or the school's page: where they
    stand, a link to enter new ones, and the confirmation button for a second person."""

    model = BankDetails
    formset = ShownOnlyFormSet
    template = "admin/billing/bankdetails_inline.html"
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["holder_name"]
    readonly_fields = ["holder_name"]
    verbose_name_plural = _("bank details")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_formset(self, request: HttpRequest, obj: object = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.may_add = request.user.has_perm("billing.add_bankdetails")
        formset.may_change = request.user.has_perm("billing.change_bankdetails")
        return formset


class StudentBankDetailsInline(OwnerBankDetailsInline):
    fk_name = "student"


class SchoolBankDetailsInline(OwnerBankDetailsInline):
    fk_name = "school"


@admin.register(BankDetailsAccess)
class BankDetailsAccessAdmin(ReadOnlyAdmin):
    list_display = ["accessed_at", "details", "user", "purpose"]
    list_select_related = ["details__student", "details__school", "user"]
    list_filter = ["accessed_at"]
    search_fields = ["=details__student__status_no", "details__school__name", "user__username"]
    date_hierarchy = "accessed_at"
    show_full_result_count = False


class LedgerAccountForm(forms.ModelForm):
    class Meta:
        model = LedgerAccount
        fields = ["kind", "account_code", "name"]

    def clean_account_code(self) -> str:
        code = (self.cleaned_data.get("account_code") or "").strip()
        if not ledger.ACCOUNT_CODE.fullmatch(code):
            raise forms.ValidationError(ledger.account_code_problem(code))
        return code


@admin.register(LedgerAccount)
class LedgerAccountAdmin(admin.ModelAdmin):
    """Finance says which account each kind of payment is booked to (the accounting
    export uses the default of ``billing.payments.ledger`` for a kind without a row)."""

    form = LedgerAccountForm
    list_display = ["kind", "account_code", "name"]
    search_fields = ["kind", "account_code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: LedgerAccount | None = None) -> list:
        return ["kind"] if obj is not None else []  # a row is a kind's: change its code

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "kind":
            return forms.ChoiceField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                choices=[
                    (kind, f"{_(label)} ({kind})") for kind, label in ledger.LEDGER_KINDS.items()
                ],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: LedgerAccount, form, change: bool) -> None:
        saved = ledger.ledger_account_set(
            kind=obj.kind, account_code=obj.account_code, name=obj.name, by=request.user
        )
        obj.pk = saved.pk


# Billing shows the bank details on the student's and the school's pages (whichever admin
# class is registered for them: enrollment's adds its own to the student's).
for _model, _inline in ((Student, StudentBankDetailsInline), (School, SchoolBankDetailsInline)):
    _registered = type(admin.site._registry[_model])
    _registered.inlines = [*_registered.inlines, _inline]
