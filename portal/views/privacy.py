"""The student's privacy page (``/my/privacy/``): download my data, who looked at my
documents, corrections; the notice to accept; and the public privacy policy."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avataq.errors import AvataqError
from portal import selectors
from portal.forms import CorrectionForm, NoticeForm
from portal.permissions import notice_page_required, student_required
from portal.services import privacy


def _page(request: HttpRequest, form: CorrectionForm | None = None, status: int = 200):
    student = request.student
    return render(
        request,
        "portal/my_privacy.html",
        {
            "exports": selectors.student_exports(student),
            "accesses": selectors.student_document_accesses(student),
            "corrections": selectors.student_corrections(student),
            "form": form or CorrectionForm(),
        },
        status=status,
    )


@never_cache
@require_GET
@student_required
def my_privacy(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_POST
@student_required
def export_request(request: HttpRequest) -> HttpResponse:
    """ "Download my data": built in the background; the page offers it once ready."""
    privacy.data_export_request(student=request.student, by=request.user)
    messages.success(
        request,
        _("Your file is being prepared. Come back to this page in a few minutes to download it."),
    )
    return redirect("portal:privacy")


@never_cache
@require_GET
@student_required
def export_download(request: HttpRequest, request_id: int) -> HttpResponse:
    """302 to a link valid 60 seconds; another student's export answers 404."""
    data_request = get_object_or_404(selectors.student_exports(request.student), pk=request_id)
    try:
        url = privacy.data_export_url(request=data_request)
    except AvataqError as exc:
        messages.error(request, str(exc))
        return redirect("portal:privacy")
    return redirect(url)


@never_cache
@require_POST
@student_required
def correction_request(request: HttpRequest) -> HttpResponse:
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            privacy.correction_request_create(
                student=request.student, by=request.user, **form.cleaned_data
            )
        except AvataqError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your request is sent. The answer will appear on this page.")
            )
            return redirect("portal:privacy")
    return _page(request, form, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@notice_page_required
def notice(request: HttpRequest) -> HttpResponse:
    """The current privacy notice, to accept (a new version asks again)."""
    form = NoticeForm(request.POST or None)
    target = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    if request.method == "POST" and form.is_valid():
        privacy.notice_accept(account=request.account)
        return redirect(target or "portal:dashboard")
    return render(
        request,
        "portal/notice.html",
        {"form": form, "next": target, "version": privacy.notice_version()},
    )


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    """The public privacy policy: who is responsible, how to ask, what and why, where,
    how long."""
    from portal.models import RetentionRule

    return render(
        request,
        "portal/privacy.html",
        {
            "officer_name": settings.PRIVACY_OFFICER_NAME,
            "officer_email": settings.PRIVACY_OFFICER_EMAIL,
            "officer_phone": settings.PRIVACY_OFFICER_PHONE,
            "region": settings.AWS_S3_REGION_NAME or "",
            "rules": {rule.kind: rule.years for rule in RetentionRule.objects.all()},
            "backup_days": settings.BACKUP_KEEP_DAYS,
            "version": privacy.notice_version(),
        },
    )
