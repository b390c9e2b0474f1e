from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from avataq.admin import ReadOnlyAdmin
from portal import mail
from portal.models import Account, ClaimAttempt, Invitation, MailTemplate, OutgoingEmail
from portal.services.accounts import email_taken, invitation_create
from portal.services.mail import mail_template_save, outgoing_email_resend
from scholarships.admin import DATE_OF_BIRTH
from scholarships.models import Student
from scholarships.permissions import assigned_student_ids, sees_all_students


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    """Staff edit wording here; a template that does not render (syntax, or a variable
    its email does not provide) is refused on save, with the reason."""

    list_display = ["code", "language", "subject", "updated_at"]
    list_filter = ["language", "code"]
    search_fields = ["subject", "body"]
    readonly_fields = ["variables", "preview"]
    fields = ["code", "language", "subject", "body", "variables", "preview"]

    def get_readonly_fields(self, request: HttpRequest, obj: MailTemplate | None = None) -> list:
        # Which email and language a template is never changes; only its words do.
        return [*self.readonly_fields, "code", "language"] if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("variables you can use"))
    def variables(self, obj: MailTemplate) -> str:
        spec = mail.CATALOG.get(obj.code)
        return ", ".join(f"{{{{ {name} }}}}" for name in sorted(spec.sample)) if spec else "—"

    @admin.display(description=_("preview (with sample values)"))
    def preview(self, obj: MailTemplate) -> str:
        if not obj.pk:
            return "—"
        try:
            rendered = mail.preview(code=obj.code, subject=obj.subject, body=obj.body)
        except mail.MailError as exc:
            return str(exc)
        return format_html(
            '<div style="white-space:pre-wrap;max-width:48rem"><strong>{}</strong>\n\n{}</div>',
            rendered.subject,
            rendered.body,
        )

    def save_model(
        self, request: HttpRequest, obj: MailTemplate, form: forms.ModelForm, change: bool
    ) -> None:
        mail_template_save(template=obj)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "template_code", "language", "status", "attempts"]
    list_filter = ["status", "template_code", "language"]
    search_fields = ["to", "subject", "student__status_no"]
    date_hierarchy = "created_at"
    list_select_related = ["student"]
    actions = ["send_again"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Needed for the action; every field stays read-only.
        return request.user.has_perm("portal.change_outgoingemail")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        return [f.name for f in OutgoingEmail._meta.fields]

    @admin.action(description=_("Send again now (failed or queued emails)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        sent = [outgoing_email_resend(email=email) for email in queryset]
        done = sum(1 for email in sent if email.status == OutgoingEmail.Status.SENT)
        messages.info(
            request, _("%(done)d of %(total)d sent.") % {"done": done, "total": len(sent)}
        )


@admin.register(ClaimAttempt)
class ClaimAttemptAdmin(ReadOnlyAdmin):
    """Refused claims are where staff help: the account, what was typed, and whether a
    record with that status number exists (search by it)."""

    list_display = ["created_at", "account", "status_no", "date_of_birth", "succeeded", "student"]
    list_filter = ["succeeded"]
    search_fields = ["status_no", "account__email"]
    list_select_related = ["account", "student"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClaimAttempt]:
        # A counsellor sees the claims typed with their own students' status numbers
        # (the alert about one links here); Staff see them all.
        attempts = super().get_queryset(request)
        if sees_all_students(request.user):
            return attempts
        theirs = Student.objects.filter(pk__in=assigned_student_ids(request.user))
        return attempts.filter(status_no__in=theirs.values("status_no"))

    def has_view_permission(self, request: HttpRequest, obj: ClaimAttempt | None = None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    # The date of birth typed: only to the roles that see dates of birth.
    def _sees_date_of_birth(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DATE_OF_BIRTH)

    def get_list_display(self, request: HttpRequest) -> list:
        shown = list(super().get_list_display(request))
        if self._sees_date_of_birth(request):
            return shown
        return [f for f in shown if f != "date_of_birth"]

    def get_fields(self, request: HttpRequest, obj: ClaimAttempt | None = None) -> list:
        fields = list(super().get_fields(request, obj))
        if self._sees_date_of_birth(request):
            return fields
        return [f for f in fields if f != "date_of_birth"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["email", "language", "confirmed_at", "created_at", "student"]
    search_fields = ["email"]
    list_filter = ["language", ("confirmed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user__student"]

    @admin.display(description=_("student"))
    def student(self, obj: Account) -> str:
        student = getattr(obj.user, "student", None)
        return str(student) if student else "—"


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["student", "email"]

    def clean(self) -> dict:
        data = super().clean()
        student, email = data.get("student"), data.get("email")
        if student is not None and student.user_id is not None:
            raise forms.ValidationError(
                _("%(student)s already has a portal account.") % {"student": student}
            )
        if email and email_taken(email):
            raise forms.ValidationError(_("An account already uses %(email)s.") % {"email": email})
        return data


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invite a student: they get a one-time link that creates their account, already
    linked to their record."""

    form = InvitationForm
    list_display = ["created_at", "student", "email", "expires_at", "used_at", "created_by"]
    list_select_related = ["student", "created_by"]
    search_fields = ["student__status_no", "student__last_name", "email"]
    autocomplete_fields = ["student"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        # Django's "Add %s" reads « Ajout de invitation… » in French: a title of its own.
        # An invitation is never edited: no "Save and continue editing".
        extra_context = {
            "title": gettext("Add a portal invitation"),
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: Invitation, form: forms.ModelForm, change: bool
    ) -> None:
        invitation, _url = invitation_create(student=obj.student, email=obj.email, by=request.user)
        obj.pk = invitation.pk

    def response_add(
        self, request: HttpRequest, obj: Invitation, post_url_continue: str | None = None
    ) -> HttpResponse:
        """One message, saying what was done (emailed to whom), in place of Django's "The
        portal invitation … was added successfully" beside it."""
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            gettext("Invitation emailed to %(email)s.") % {"email": obj.email},
            messages.SUCCESS,
        )
        if "_addanother" in request.POST:
            return HttpResponseRedirect(request.get_full_path())
        return self.response_post_save_add(request, obj)


from portal import admin_privacy  # noqa: E402, F401  (registers the privacy screens)
