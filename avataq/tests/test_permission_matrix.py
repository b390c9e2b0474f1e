"""The role × URL × object matrix: every URL pattern of the project (the resolver walked,
the admin included), requested as every role, with objects that belong to someone else,
compared with what the declared permission model (``avataq.roles``) says.

- A URL pattern that has no expectation here fails the test (``test_every_url_pattern_
  has_an_expectation``): a new page cannot open a door unnoticed.
- Admin pages are expected from the table: a role may open a model's page when the table
  grants it that model's permission, and — scoped to "their students" — only for its own
  students' records; a page the admin does not offer at all (read-only models' *add*…)
  is refused to everyone.
- A refused answer never shows the other student (B): their status number and name are
  looked for in every response that is not an allowed one, and in every list a
  counsellor or a student is allowed to see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from avataq.roles import CAPABILITIES, Role, Scope, role_permissions
from avataq.tests.world import (
    A_STATUS,
    ANONYMOUS,
    B_NAME,
    B_STATUS,
    NO_GROUP,
    World,
    build_world,
)
from billing.models import BankDetails, PaymentRun, StatementImport

pytestmark = pytest.mark.django_db

ROLES = [
    ANONYMOUS,
    Role.STUDENT,
    Role.COUNSELLOR,
    NO_GROUP,
    Role.STAFF,
    Role.FINANCE,
    Role.OPS,
    Role.SUPERUSER,
]
STAFF_ROLES = {Role.COUNSELLOR, NO_GROUP, Role.STAFF, Role.FINANCE, Role.OPS, Role.SUPERUSER}

# Outcomes a response is classified into.
OK, REDIRECT, LOGIN, FORBIDDEN, MISSING, NOT_ALLOWED, UNAUTHORIZED, BAD = (
    "ok",
    "redirect",
    "login",
    "forbidden",
    "missing",
    "method not allowed",
    "unauthorized",
    "bad request",
)
DENIED = {LOGIN, FORBIDDEN, MISSING, NOT_ALLOWED, UNAUTHORIZED, BAD}
LOGIN_PATHS = ("/account/login/", "/admin/login/")


def outcome(response) -> str:
    status = response.status_code
    if status == 302:
        location = response["Location"]
        if location.startswith(LOGIN_PATHS):
            return LOGIN
        # The admin's answer for an object outside the user's queryset: "does not exist".
        return MISSING if location == reverse("admin:index") else REDIRECT
    return {
        200: OK,
        400: BAD,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: MISSING,
        405: NOT_ALLOWED,
    }.get(status, f"HTTP {status}")


# --- walking the resolver --------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "admin:scholarships_student_change"; "" when unnamed
    route: str


def all_routes() -> list[Route]:
    def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}{pattern.name}" if pattern.name else ""
                yield Route(name=name, route=prefix + str(pattern.pattern))

    return list(walk(get_resolver().url_patterns))


# --- what the table says --------------------------------------------------------------
def granted(role: str) -> frozenset[str] | None:
    """The role's permissions; None for the superuser (everything)."""
    if role == Role.SUPERUSER:
        return None
    if role in (ANONYMOUS, NO_GROUP, Role.STUDENT):
        return frozenset()
    return role_permissions(Role(role))


def has(role: str, *labels: str) -> bool:
    perms = granted(role)
    return perms is None or any(label in perms for label in labels)


def scoped_to_their_students(role: str) -> frozenset[str]:
    """Permissions the role holds only for its own students."""
    if role not in {r.value for r in Role} or role == Role.SUPERUSER:
        return frozenset()
    return frozenset(
        label
        for capability in CAPABILITIES
        if capability.roles.get(Role(role)) == Scope.THEIR_STUDENTS
        for label in capability.permissions
    )


def model_admins() -> dict[str, admin.ModelAdmin]:
    return {m._meta.label_lower.replace(".", "_"): a for m, a in admin.site._registry.items()}


# --- probes -----------------------------------------------------------------------------
@dataclass
class Probe:
    name: str
    url: str
    expect: set[str]  # acceptable outcomes
    method: str = "GET"
    data: dict = field(default_factory=dict)
    shows_only_own: bool = False  # an allowed answer must not show student B
    shows_a: bool = False  # …and must show student A (the check can fail)


ADMIN_ACTIONS = {
    "changelist": ("view", "change"),
    "add": ("add",),
    "change": ("view", "change"),
    "history": ("view", "change"),
    "simple_history": ("view", "change"),
    "delete": ("delete",),
}
STUDENT_OWNED = {
    "scholarships.student": lambda f: f.student,
    "enrollment.enrollment": lambda f: f.enrollment,
    "scholarships.studentdocument": lambda f: f.student_document,
    "enrollment.enrollmentdocument": lambda f: f.enrollment_document,
    "enrollment.checklistitem": lambda f: f.item,
    "documents.documentindex": lambda f: f.index,
    "billing.computingsheet": lambda f: f.sheet,
    "billing.scheduledpayment": lambda f: f.payment,
    "billing.recovery": lambda f: f.recovery,
    "portal.claimattempt": lambda f: f.claim,
    "portal.outgoingemail": lambda f: f.email,
    "portal.account": lambda f: f.student.user.portal_account,
    "auth.user": lambda f: f.student.user,
}


def instance(world: World, model: type[models.Model], owner: str) -> models.Model | None:
    label = model._meta.label_lower
    if label in STUDENT_OWNED:
        return STUDENT_OWNED[label](world.owned(owner))
    if model in world.objects:
        return world.objects[model]
    if label == "billing.schoolinvoice":
        return world.invoice
    if label == "billing.schoolinvoicedocument":
        return world.invoice_document
    return model._default_manager.order_by("pk").first()


def offered(model_admin: admin.ModelAdmin, action: str, obj: models.Model | None) -> bool:
    """Whether the admin offers this page to anyone: a read-only model has no add page,
    nobody deletes a mail template… (asked as a superuser, who holds every permission)."""
    request = RequestFactory().get("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    if action == "add":
        return model_admin.has_add_permission(request)
    if action == "delete":
        return model_admin.has_delete_permission(request, obj)
    return model_admin.has_view_or_change_permission(request, obj)


def admin_probes(world: World, role: str) -> list[Probe]:
    probes = []
    admins = model_admins()
    pattern = re.compile(r"^admin:(?P<prefix>[a-z0-9]+_[a-z0-9]+)_(?P<action>[a-z_]+)$")
    for route in all_routes():
        match = pattern.match(route.name)
        if not match or match["prefix"] not in admins or match["action"] not in ADMIN_ACTIONS:
            continue
        model_admin = admins[match["prefix"]]
        model, action = model_admin.model, match["action"]
        label = model._meta.label_lower
        needed = [
            f"{model._meta.app_label}.{a}_{model._meta.model_name}" for a in ADMIN_ACTIONS[action]
        ]
        owners = ["B", "A"] if label in STUDENT_OWNED else ["B"]
        for owner in owners if action not in {"changelist", "add"} else [None]:
            obj = instance(world, model, owner) if owner else None
            if owner and obj is None:
                continue
            args = []
            if obj is not None:
                args = [obj.pk]
                if action == "simple_history":
                    args.append(obj.history.order_by("history_id").first().history_id)
            url = reverse(route.name, args=args)
            allowed = (
                role in STAFF_ROLES
                and has(role, *needed)
                and not (owner == "B" and set(needed) & scoped_to_their_students(role))
                and offered(model_admin, action, obj)
            )
            scoped = bool(set(needed) & scoped_to_their_students(role))
            probes.append(
                Probe(
                    name=route.name,
                    url=url,
                    expect={OK} if allowed else DENIED,
                    shows_only_own=scoped,
                    shows_a=scoped and action == "changelist",
                )
            )
    return probes


def autocomplete_probes(role: str) -> list[Probe]:
    """Every foreign key to a model the admin can autocomplete (the view serves any of
    them, declared or not): open only with the target's view permission, and a scoped
    role gets only its own students' rows."""
    probes = []
    admins = {m: a for m, a in admin.site._registry.items() if a.get_search_fields(None)}
    for model in apps.get_models():
        for db_field in model._meta.get_fields():
            target = getattr(db_field, "related_model", None)
            if not (db_field.is_relation and db_field.concrete and target in admins):
                continue
            if db_field.many_to_many or not hasattr(db_field, "attname"):
                continue
            needed = [
                f"{target._meta.app_label}.{a}_{target._meta.model_name}"
                for a in ("view", "change")
            ]
            scoped = bool(set(needed) & scoped_to_their_students(role))
            url = (
                f"{reverse('admin:autocomplete')}?app_label={model._meta.app_label}"
                f"&model_name={model._meta.model_name}&field_name={db_field.name}"
            )
            probes.append(
                Probe(
                    name="admin:autocomplete",
                    url=url,
                    expect={OK} if role in STAFF_ROLES and has(role, *needed) else DENIED,
                    shows_only_own=scoped,
                )
            )
    return probes


Expectation = Callable[[str], set[str]]


def only(*roles: str, yes: set[str] | None = None, admin: bool = False) -> Expectation:
    """Allowed (``yes``, default OK) for ``roles``; the others refused. Anonymous users are
    sent to log in, and so are students on the admin's pages (``admin``)."""

    def expect(role: str) -> set[str]:
        if role in roles:
            return yes or {OK}
        if role == ANONYMOUS or (admin and role == Role.STUDENT):
            return {LOGIN}
        return DENIED - {LOGIN}

    return expect


def everyone(*outcomes: str) -> Expectation:
    return lambda role: set(outcomes)


FINANCE_ONLY = (Role.FINANCE, Role.SUPERUSER)


def site_probes(world: World, role: str) -> list[Probe]:
    """Every URL that is not a model admin page, with its expectation."""
    a, b = world.a, world.b
    explorer = (Role.COUNSELLOR, Role.STAFF, Role.FINANCE, Role.OPS, Role.SUPERUSER)
    statement, line, match = world.statement, world.line, world.match
    statement_file = StatementImport.objects.get()
    run = PaymentRun.objects.get()
    details = BankDetails.objects.get()
    bank_staff = (Role.STAFF, Role.FINANCE, Role.SUPERUSER)
    finance_post = only(*FINANCE_ONLY, yes={REDIRECT})  # back to the page, with a message
    staff_pages = only(Role.STAFF, Role.FINANCE, Role.OPS, Role.SUPERUSER, admin=True)
    enrollment_staff = (Role.STAFF, Role.SUPERUSER)  # all students' enrollments and checklists
    # fmt: off
    table: list[tuple[str, str, dict, Expectation, str, dict]] = [
        # name, method, kwargs, expectation, owner of what is shown, POST data
        ("health", "GET", {}, everyone(OK), "", {}),
        # Prometheus metrics: a bearer token, never a session (no token set: no page).
        ("metrics", "GET", {}, everyone(MISSING, UNAUTHORIZED), "", {}),
        # The admin site's own pages.
        ("admin:index", "GET", {}, only(*STAFF_ROLES, admin=True), "", {}),
        ("admin:login", "GET", {}, everyone(OK, MISSING), "", {}),  # staff: to the index
        ("admin:logout", "GET", {}, everyone(NOT_ALLOWED, MISSING), "", {}),  # GET: nobody out
        ("admin:password_change", "GET", {}, only(*STAFF_ROLES, admin=True), "", {}),
        ("admin:password_change_done", "GET", {}, only(*STAFF_ROLES, admin=True), "", {}),
        ("admin:jsi18n", "GET", {}, only(*STAFF_ROLES, admin=True), "", {}),
        ("admin:auth_user_password_change", "GET", {"id": b.student.user_id},
         only(Role.SUPERUSER, admin=True), "B", {}),
        ("admin:billing_computingsheet_pdf", "GET", {"pk": b.sheet.pk}, staff_pages, "B", {}),
        ("admin:billing_schoolinvoice_discrepancies", "GET", {}, staff_pages, "", {}),
        ("admin:billing_bankaccount_preview", "GET", {"pk": statement.account_id},
         only(Role.FINANCE, Role.SUPERUSER, admin=True), "", {}),
        # Workflow buttons on a record's page: POST; a step that is not legal now is told
        # on the record's page (a redirect), a step asking for a reason shows its page.
        ("admin:enrollment_enrollment_step", "POST", {"object_id": b.enrollment.pk,
         "step": "submit"}, only(*enrollment_staff, yes={REDIRECT}, admin=True), "B", {}),
        ("admin:enrollment_enrollment_step", "POST", {"object_id": a.enrollment.pk,
         "step": "submit"}, only(Role.COUNSELLOR, *enrollment_staff, yes={REDIRECT}, admin=True),
         "A", {}),
        ("admin:enrollment_enrollment_step", "POST", {"object_id": b.enrollment.pk,
         "step": "withdraw"}, only(*enrollment_staff, admin=True), "B", {}),
        ("admin:enrollment_checklistitem_step", "POST", {"object_id": b.item.pk,
         "step": "accept"}, only(*enrollment_staff, yes={REDIRECT}, admin=True), "B", {}),
        ("admin:enrollment_checklistitem_step", "POST", {"object_id": a.item.pk,
         "step": "accept"}, only(Role.COUNSELLOR, *enrollment_staff, yes={REDIRECT}, admin=True),
         "A", {}),
        ("admin:billing_computingsheet_step", "POST", {"object_id": b.sheet.pk,
         "step": "cancel"}, only(*FINANCE_ONLY, yes={REDIRECT}, admin=True), "B", {}),
        ("admin:billing_computingsheet_step", "POST", {"object_id": b.sheet.pk,
         "step": "adjust"}, only(*FINANCE_ONLY, admin=True), "B", {}),
        ("admin:billing_computingsheet_compute", "POST", {"enrollment_id": b.enrollment.pk},
         only(*FINANCE_ONLY, yes={REDIRECT}, admin=True), "B", {}),
        ("admin:billing_schoolinvoice_step", "POST", {"object_id": world.invoice.pk,
         "step": "mark_paid"}, only(*FINANCE_ONLY, yes={REDIRECT}, admin=True), "", {}),
        # Finance screens.
        ("finance:home", "GET", {}, only(*FINANCE_ONLY), "", {}),
        ("finance:reports", "GET", {}, only(*FINANCE_ONLY), "", {}),
        ("finance:statement", "GET", {"pk": statement.pk}, only(*FINANCE_ONLY), "", {}),
        ("finance:file", "GET", {"pk": statement_file.pk}, only(*FINANCE_ONLY), "", {}),
        ("finance:upload", "POST", {}, finance_post, "", {"account": statement.account_id}),
        ("finance:accept", "POST", {"pk": statement.pk}, finance_post, "", {"threshold": "2"}),
        ("finance:reject", "POST", {"pk": statement.pk}, finance_post, "", {"line": "x"}),
        ("finance:manual", "POST", {"line_pk": line.pk}, finance_post, "", {}),
        ("finance:invoice", "POST", {"line_pk": line.pk}, finance_post, "", {"invoice": "no"}),
        ("finance:write-off", "POST", {"line_pk": line.pk}, finance_post, "", {"amount": "x"}),
        ("finance:undo", "POST", {"match_pk": match.pk}, finance_post, "", {}),
        # Payment runs (the world's run is prepared, by someone else than Finance's user).
        ("finance:runs", "GET", {}, only(*FINANCE_ONLY), "", {}),
        ("finance:run", "GET", {"pk": run.pk}, only(*FINANCE_ONLY), "", {}),
        ("finance:run-file", "GET", {"pk": run.pk, "kind": "pain001"},
         only(*FINANCE_ONLY, yes={MISSING}), "", {}),  # no file before it is sent
        ("finance:run-build", "POST", {}, finance_post, "", {"due_until": "x"}),
        ("finance:run-approve", "POST", {"pk": run.pk}, finance_post, "", {}),
        ("finance:run-send", "POST", {"pk": run.pk}, finance_post, "", {}),
        ("finance:run-cancel", "POST", {"pk": run.pk}, finance_post, "", {}),
        # The accounting export: a run not sent yet is told on its page.
        ("finance:run-ledger", "GET", {"pk": run.pk, "fmt": "gl"}, finance_post, "", {}),
        ("finance:run-ledger", "GET", {"pk": run.pk, "fmt": "nope"},
         only(*FINANCE_ONLY, yes={MISSING}), "", {}),
        ("finance:ledger", "GET", {}, only(*FINANCE_ONLY), "", {}),
        # B's bank details (entered by Staff): shown in full, logged; confirmed by another.
        ("admin:billing_bankdetails_reveal", "POST", {"pk": details.pk},
         only(*bank_staff, admin=True), "", {}),
        ("admin:billing_bankdetails_reveal", "GET", {"pk": details.pk},
         only(*bank_staff, yes={NOT_ALLOWED}, admin=True), "", {}),
        ("admin:billing_bankdetails_confirm", "POST", {"pk": details.pk},
         only(*bank_staff, yes={REDIRECT}, admin=True), "", {}),
        # Privacy: a request's export (none built yet: told on its page), the per-student
        # access report.
        ("admin:portal_datarequest_export", "GET", {"pk": world.data_requests["B"].pk},
         only(Role.STAFF, Role.SUPERUSER, yes={REDIRECT}, admin=True), "", {}),
        ("admin:scholarships_student_accesses", "GET", {"pk": b.student.pk},
         only(Role.STAFF, Role.OPS, Role.SUPERUSER, admin=True), "B", {}),
        # What the retention schedule makes due, and its destruction behind a confirmation
        # page; a POST without the reviewed list's fingerprint is sent back to the list.
        ("admin:portal_destructionrecord_due", "GET", {},
         only(Role.STAFF, Role.SUPERUSER, admin=True), "", {}),
        ("admin:portal_destructionrecord_destroy", "GET", {},
         only(Role.STAFF, Role.SUPERUSER, admin=True), "", {}),
        ("admin:portal_destructionrecord_destroy", "POST", {},
         only(Role.STAFF, Role.SUPERUSER, yes={REDIRECT}, admin=True), "", {}),
        # Documents: the explorer, downloads (302 to a 60-second link), the ingest API.
        ("documents:explorer", "GET", {}, only(*explorer), "", {}),
        ("documents:download", "GET", {"pk": b.index.pk}, download_expectation(owner="B"),
         "B", {}),
        ("documents:download", "GET", {"pk": a.index.pk}, download_expectation(owner="A"),
         "A", {}),
        ("documents:download", "GET", {"pk": world.invoice_index.pk},
         download_expectation(owner="school"), "school", {}),
        ("documents:local-download", "GET", {"token": "forged"}, everyone(FORBIDDEN), "", {}),
        ("documents:api-index", "GET", {}, everyone(NOT_ALLOWED), "", {}),
        ("documents:api-index", "POST", {}, everyone(UNAUTHORIZED), "", {}),
        ("documents:api-schema", "GET", {}, everyone(OK), "", {}),
    ]
    # fmt: on
    probes = []
    for name, method, kwargs, expect, owner, data in table:
        probes.append(
            Probe(
                name=name,
                url=reverse(name, kwargs=kwargs),
                expect=expect(role),
                method=method,
                data=data,
                shows_only_own=owner in {"A", ""} and role in {Role.STUDENT, Role.COUNSELLOR},
            )
        )
    return probes


def download_expectation(*, owner: str) -> Expectation:
    def expect(role: str) -> set[str]:
        if role == ANONYMOUS:
            return {LOGIN}
        if role == NO_GROUP:
            return {FORBIDDEN}
        link = {REDIRECT}
        if owner == "school":
            return link if role in {Role.STAFF, Role.FINANCE, Role.SUPERUSER} else {MISSING}
        if role in {Role.STAFF, Role.FINANCE, Role.OPS, Role.SUPERUSER}:
            return link
        # The counsellor's student and the signed-in student are A; B is someone else's.
        return link if owner == "A" else {MISSING}

    return expect


STUDENT_ONLY = only(Role.STUDENT)


def portal_probes(world: World, role: str) -> list[Probe]:
    a, b = world.a, world.b
    signed_in = {OK} if role == ANONYMOUS else {REDIRECT}  # signed in: on to the dashboard
    claim = {LOGIN} if role == ANONYMOUS else {REDIRECT} if role == Role.STUDENT else {MISSING}
    own_link = only(Role.STUDENT, yes={REDIRECT})
    # fmt: off
    table: list[tuple[str, str, dict, Expectation, str, dict]] = [
        ("portal:home", "GET", {}, everyone(OK), "", {}),
        ("portal:how_to_apply", "GET", {}, everyone(OK), "", {}),
        ("portal:contact", "GET", {}, everyone(OK), "", {}),
        ("portal:faq", "GET", {}, everyone(OK), "", {}),
        ("portal:language", "GET", {}, everyone(NOT_ALLOWED), "", {}),
        ("portal:language", "POST", {}, everyone(REDIRECT), "", {"language": "fr"}),
        ("portal:signup", "GET", {}, lambda r: signed_in, "", {}),
        ("portal:login", "GET", {}, lambda r: signed_in, "", {}),
        ("portal:logout", "GET", {}, everyone(NOT_ALLOWED), "", {}),
        ("portal:unconfirmed", "GET", {}, lambda r: {REDIRECT} if r == Role.STUDENT else {OK},
         "", {}),
        ("portal:confirm", "GET", {"token": "forged"}, everyone(BAD), "", {}),
        ("portal:invitation", "GET", {"token": "forged"}, everyone(BAD), "", {}),
        ("portal:claim", "GET", {}, lambda r: claim, "", {}),
        ("portal:password_reset", "GET", {}, everyone(OK), "", {}),
        ("portal:password_reset_done", "GET", {}, everyone(OK), "", {}),
        ("portal:password_reset_confirm", "GET", {"uidb64": "MQ", "token": "forged"},
         everyone(OK), "", {}),
        ("portal:password_reset_complete", "GET", {}, everyone(OK), "", {}),
        # The student's own file: other students' rows answer 404, staff have none.
        ("portal:dashboard", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:enrollments", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:apply", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:documents", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:sheets", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:payments", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:direct_deposit", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:direct_deposit", "POST", {}, STUDENT_ONLY, "A", {"account": "x"}),
        ("portal:document_upload", "POST", {"item_id": b.item.pk}, only(), "B", {}),
        ("portal:document_upload", "POST", {"item_id": a.item.pk}, own_link, "A", {}),
        ("portal:document_download", "GET", {"item_id": b.item.pk}, only(), "B", {}),
        ("portal:document_download", "GET", {"item_id": a.item.pk}, own_link, "A", {}),
        ("portal:sheet_pdf", "GET", {"sheet_id": b.sheet.pk}, only(), "B", {}),
        ("portal:sheet_pdf", "GET", {"sheet_id": a.sheet.pk}, STUDENT_ONLY, "A", {}),
        # Privacy: the public policy, the student's page, their export (another's: 404),
        # corrections (a bad one: 400), the notice.
        ("portal:privacy_policy", "GET", {}, everyone(OK), "", {}),
        ("portal:privacy", "GET", {}, STUDENT_ONLY, "A", {}),
        ("portal:export_request", "POST", {}, own_link, "A", {}),
        ("portal:export_download", "GET", {"request_id": world.data_requests["B"].pk}, only(),
         "B", {}),
        ("portal:export_download", "GET", {"request_id": world.data_requests["A"].pk},
         own_link, "A", {}),
        ("portal:correction_request", "POST", {}, only(Role.STUDENT, yes={BAD}), "A",
         {"field": "nope"}),
        ("portal:notice", "GET", {}, STUDENT_ONLY, "A", {}),
    ]
    # fmt: on
    return [
        Probe(
            name=name,
            url=reverse(name, kwargs=kwargs),
            expect=expect(role),
            method=method,
            data=data,
            shows_only_own=owner in {"A", ""},
        )
        for name, method, kwargs, expect, owner, data in table
    ]


def admin_site_probes(world: World, role: str) -> list[Probe]:
    """The admin's site-wide pages that belong to no model."""
    probes = []
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        perms = granted(role)
        allowed = role in STAFF_ROLES and (
            perms is None or any(p.startswith(f"{app_label}.") for p in perms)
        )
        probes.append(
            Probe(
                "admin:app_list",
                reverse("admin:app_list", args=[app_label]),
                {OK} if allowed else DENIED,
            )
        )
    student_type = ContentType.objects.get_for_model(world.b.student)
    probes += [
        # No model has a page on the site: "view on site" finds nothing for anyone.
        Probe(
            "admin:view_on_site",
            reverse("admin:view_on_site", args=[student_type.pk, world.b.student.pk]),
            {MISSING} if role in STAFF_ROLES else {LOGIN},
        ),
        Probe("", "/admin/no-such-page/", {MISSING} if role in STAFF_ROLES else {LOGIN}),
        Probe(
            "admin:autocomplete",
            reverse("admin:autocomplete"),
            {FORBIDDEN} if role in STAFF_ROLES else {LOGIN},  # no model named: refused
        ),
    ]
    return probes


# Routes the generic admin rules cover, and unnamed ones.
COVERED_BY_RULES = re.compile(
    r"^admin:[a-z0-9]+_[a-z0-9]+_(changelist|add|change|history|simple_history|delete)$"
)
UNNAMED = {"admin/(?P<url>.*)$"}  # the admin's catch-all: a 404 page for staff


def declared_names(world: World) -> set[str]:
    names = set()
    for role in (Role.STUDENT,):
        for probe in site_probes(world, role) + portal_probes(world, role):
            names.add(probe.name)
        names |= {p.name for p in admin_site_probes(world, role)}
    return names


# --- running ---------------------------------------------------------------------------
def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    content = response.content
    try:
        return content.decode()
    except UnicodeDecodeError:
        return ""


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != ANONYMOUS:
        client.force_login(world.users[role])
    return client


def check(client: Client, probe: Probe, *, signed_in: bool) -> list[str]:
    if probe.method == "POST":
        response = client.post(probe.url, probe.data)
    else:
        response = client.get(probe.url)
    got = outcome(response)
    body = body_of(response)
    if got == "ok" and probe.name == "admin:autocomplete":
        body = json.dumps(response.json())
    problems = []
    where = f"{probe.method} {probe.url} ({probe.name})"
    if got not in probe.expect:
        problems.append(f"{where}: {got}, expected {' or '.join(sorted(probe.expect))}")
    leaked = B_STATUS in body or B_NAME in body
    if leaked and (got in DENIED or probe.shows_only_own):
        problems.append(f"{where}: shows student B ({got})")
    if probe.shows_a and got == OK and A_STATUS not in body:
        problems.append(f"{where}: does not show the role's own student A")
    if signed_in and "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"{where}: may be stored by the browser (no Cache-Control: no-store)")
    return problems


@pytest.fixture
def world(django_capture_on_commit_callbacks) -> World:
    return build_world(django_capture_on_commit_callbacks)


def test_every_url_pattern_has_an_expectation(world):
    declared = declared_names(world)
    missing = [
        f"{route.name or route.route}  ({route.route})"
        for route in all_routes()
        if not COVERED_BY_RULES.match(route.name)
        and route.name not in declared
        and route.route not in UNNAMED
    ]
    assert not missing, "URL patterns without an expectation in the matrix:\n" + "\n".join(missing)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_permission_table_declares(role, world):
    probes = (
        admin_probes(world, role)
        + admin_site_probes(world, role)
        + autocomplete_probes(role)
        + site_probes(world, role)
        + portal_probes(world, role)
    )
    client = client_for(world, role)
    signed_in = role != ANONYMOUS
    problems = [p for probe in probes for p in check(client, probe, signed_in=signed_in)]
    assert not problems, f"{len(problems)} of {len(probes)} requests:\n" + "\n".join(problems)
