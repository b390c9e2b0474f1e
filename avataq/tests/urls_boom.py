"""The project's URLs plus pages that fail on purpose (the outage and error pages' tests)."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from avataq.errors import DependencyUnavailable
from avataq.urls import urlpatterns as project

handler500 = "avataq.views.server_error"


def storage_down(request: HttpRequest) -> HttpResponse:
    raise DependencyUnavailable("storage")


def database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection to server failed")


def refused(request: HttpRequest) -> HttpResponse:
    # A domain error no view caught: the enrollment's workflow refuses the step.
    from enrollment.services import TransitionError

    raise TransitionError()


def bug(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug")


urlpatterns = [
    path("my/boom-upload/", storage_down),
    path("admin/boom-database/", database_down),
    path("boom-refused/", refused),
    path("admin/boom-refused/", refused),
    path("boom-bug/", bug),
    path("admin/boom-bug/", bug),
    *project,
]
