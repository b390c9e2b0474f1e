from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from avataq.health import run_checks
from avataq.middleware import error_page


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    status = "ok" if healthy else "error"
    if healthy and checks.get("backups", "ok") != "ok":
        status = "warning"  # still 200: stale backups are ops' alarm, not the proxy's
    body = {"status": status, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the project's page (the admin's look under /admin/), rendered
    without the request's context, so a broken database cannot break it too."""
    return error_page(request, 500)
