from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from avataq.health import run_checks


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    status = "ok" if healthy else "error"
    if healthy and checks.get("backups", "ok") != "ok":
        status = "warning"  # still 200: stale backups are ops' alarm, not the proxy's
    body = {"status": status, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
