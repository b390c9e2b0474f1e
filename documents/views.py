from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from avataq.http import client_ip
from documents import selectors, services
from documents.forms import ExplorerFilterForm
from documents.models import DocumentType
from documents.permissions import explorer_open_to
from documents.storage import document_storage, unsign_local_download
from scholarships.models import Student

PAGE_SIZE = 50


@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not explorer_open_to(request.user):
        raise PermissionDenied("The document explorer is not open to you.")
    form = ExplorerFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.ExplorerFilters()
    rows = selectors.explorer_documents(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # A row names its type in the reader's language (the index keeps the type's code).
    types = {kind.code: kind.label() for kind in DocumentType.objects.all()}
    for row in page:
        row.category_label = types.get(row.category, row.category)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "documents/documentindex_list.html", context)


@never_cache
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """302 to a link valid ``DOCUMENT_URL_TTL`` seconds, minted only here, per click."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not explorer_open_to(user) and not Student.objects.filter(user=user).exists():
        raise PermissionDenied("Documents are not open to you.")
    document = selectors.visible_document(user=user, pk=pk)
    if document is None:
        raise Http404("No such document.")
    url = services.document_download_url(
        document=document, user=user, ip_address=client_ip(request)
    )
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def local_download(request: HttpRequest, token: str) -> FileResponse:
    """The embedded default's stand-in for a presigned URL: the signed token is the
    permission, valid for the TTL it was minted with; the file streams from disk."""
    try:
        payload = unsign_local_download(token)
    except signing.SignatureExpired:
        raise PermissionDenied("This download link has expired.") from None
    except signing.BadSignature:
        raise PermissionDenied("This download link is not valid.") from None
    storage = document_storage()
    if storage.stat(payload["k"]) is None:
        raise Http404("No such document.")
    return FileResponse(
        storage.open(payload["k"], "rb"),
        as_attachment=True,
        filename=payload["f"],
        content_type=payload["t"],
    )
