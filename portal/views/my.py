"""The ``/my/`` pages: a student's own file, and nothing else (404 for the rest)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avataq.http import client_ip
from billing.pdf import sheet_pdf
from documents.services import DocumentRejected, document_download_url
from enrollment.services import EnrollmentError
from portal import selectors
from portal.forms import ApplyForm, ApplyStartForm, UploadForm
from portal.permissions import student_required
from portal.services.student import PortalError, application_submit, checklist_document_upload


@never_cache
@require_GET
@student_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/my_dashboard.html", {"board": selectors.dashboard(request.student)}
    )


@never_cache
@require_GET
@student_required
def enrollments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/my_enrollments.html",
        {
            "enrollments": selectors.student_enrollments(request.student),
            "can_apply": selectors.open_sessions(request.student).exists(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@student_required
def apply(request: HttpRequest) -> HttpResponse:
    """Two short steps: session and school (GET), then program, load and residence."""
    student = request.student
    start = ApplyStartForm(request.GET or request.POST or None, student=student)
    if not start.is_bound or not start.is_valid():
        return render(request, "portal/my_apply.html", {"start": start})
    session, school = start.cleaned_data["session"], start.cleaned_data["school"]
    form = ApplyForm(request.POST if request.method == "POST" else None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            application_submit(
                student=student, session=session, school=school,
                program=form.cleaned_data["program"], load=form.cleaned_data["load"],
                residence=form.cleaned_data["residence"], by=request.user,
            )  # fmt: skip
        except EnrollmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your application for %(session)s is sent. Now send the documents it needs.")
                % {"session": session.code},
            )
            return redirect("portal:documents")
    return render(
        request,
        "portal/my_apply.html",
        {"start": start, "form": form, "session": session, "school": school},
    )


@never_cache
@require_GET
@student_required
def documents(request: HttpRequest) -> HttpResponse:
    items = list(selectors.student_checklist(request.student))
    return render(
        request,
        "portal/my_documents.html",
        {
            "items": items,
            "accept": UploadForm.ACCEPT,
            "max_mb": settings.DOCUMENT_MAX_UPLOAD_SIZE // (1024 * 1024),
        },
    )


@never_cache
@require_POST
@student_required
def document_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(selectors.student_checklist(request.student), pk=item_id)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            checklist_document_upload(item=item, upload=form.cleaned_data["file"], by=request.user)
        except (DocumentRejected, PortalError) as exc:
            messages.error(
                request,
                _("%(type)s was not sent: %(reason)s")
                % {"type": item.document_type.label(), "reason": exc},
            )
        else:
            messages.success(
                request, _("%(type)s received. Thank you.") % {"type": item.document_type.label()}
            )
    else:
        messages.error(request, _("Choose a file to send."))
    return redirect(reverse("portal:documents") + f"#item-{item.pk}")


@never_cache
@require_GET
@student_required
def document_download(request: HttpRequest, item_id: int) -> HttpResponse:
    """302 to a link valid 60 seconds, recorded like every download."""
    item = get_object_or_404(
        selectors.student_checklist(request.student).filter(document__isnull=False), pk=item_id
    )
    index = selectors.checklist_document_index(request.student, item)
    if index is None:
        raise Http404("no such document")
    url = document_download_url(document=index, user=request.user, ip_address=client_ip(request))
    return redirect(url)


@never_cache
@require_GET
@student_required
def sheets(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/my_sheets.html", {"sheets": selectors.student_sheets(request.student)}
    )


@never_cache
@require_GET
@student_required
def sheet_download(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = get_object_or_404(selectors.student_sheets(request.student), pk=sheet_id)
    pdf = sheet_pdf(sheet, language=request.student.language)
    name = f"computing-sheet-{sheet.enrollment.session.code}-r{sheet.revision}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@require_GET
@student_required
def payments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/my_payments.html",
        {"payments": selectors.student_payments(request.student)},
    )
