"""Who may open the ``/my/`` pages: a signed-in student whose email is confirmed and whose
student record is claimed. Views then read only through that student (selectors), so
another student's rows answer 404, exactly like rows that do not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from portal.selectors import account_of

View = Callable[..., HttpResponse]


def _account_view(view: View, *, needs_student: bool, needs_notice: bool = True) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        account = account_of(request.user)  # one query: the account and its student
        if account is None:
            raise Http404("This space is for students with a portal account.")
        if not account.is_confirmed:
            return redirect("portal:unconfirmed")
        if needs_notice and not account.notice_accepted:
            # A new version of the privacy notice: read and accept it first.
            return redirect(f"{reverse('portal:notice')}?next={quote(request.get_full_path())}")
        student = getattr(account.user, "student", None)
        if needs_student and student is None:
            return redirect("portal:claim")
        if student is not None and not student.is_active:
            # Staff closed the file: say so, rather than a 404 that looks like a fault.
            return render(request, "portal/inactive.html", status=403)
        request.account, request.student = account, student
        return view(request, *args, **kwargs)

    return wrapper


def student_required(view: View) -> View:
    """Sets ``request.student`` and ``request.account``."""
    return _account_view(view, needs_student=True)


def notice_page_required(view: View) -> View:
    """For the notice page itself: a confirmed account, notice accepted or not."""
    return _account_view(view, needs_student=False, needs_notice=False)


def confirmed_account_required(view: View) -> View:
    """For the claim page: a confirmed account, with or without a student yet."""
    return _account_view(view, needs_student=False)
