"""Who may do what: the project's one declared permission model.

The roles are the portal's **Student** (an account linked to a student record; no group),
the staff groups **Counsellors**, **Staff**, **Finance** and **Ops**, and the superuser.
:data:`CAPABILITIES` is the table of role × capability: each row names the Django
permissions it grants and, for each role that holds it, the scope —

- ``all``: every record;
- ``their students``: the students assigned to the user (a counsellor), i.e. those on
  which the user, or one of their groups, holds the object permission
  ``scholarships.view_student_documents`` (django-guardian, direct foreign-key tables);
  assigning a counsellor grants it, only Staff assign;
- ``own file``: a student's own record, in the portal (``/my/``), never the admin.

The groups and their permissions are created from this table after every ``migrate``
(:func:`sync_group_permissions`), never by hand. The README's permission table is
rendered from it (``manage.py permission_table``, a test keeps the README in step), and
the role × URL × object matrix test (``avataq/tests/test_permission_matrix.py``) reads it.
Every permission of the project's models is either granted by a row here or listed in
:data:`SUPERUSER_ONLY`: a new model without a place in the table fails a test.

This module imports no app: permissions are named by ``"app_label.codename"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import Q


class Role(StrEnum):
    STUDENT = "Student"
    COUNSELLOR = "Counsellors"
    STAFF = "Staff"
    FINANCE = "Finance"
    OPS = "Ops"
    SUPERUSER = "superuser"


class Scope(StrEnum):
    ALL = "all"
    THEIR_STUDENTS = "their students"
    OWN_FILE = "own file"


# The staff roles are groups of that name; Student and superuser are not groups.
GROUP_ROLES = (Role.COUNSELLOR, Role.STAFF, Role.FINANCE, Role.OPS)
STAFF, COUNSELLORS, FINANCE, OPS = Role.STAFF, Role.COUNSELLOR, Role.FINANCE, Role.OPS

# Holders of this permission work on every student; without it, a staff user sees only
# the students they hold the object permission on (a counsellor's caseload).
ALL_STUDENTS = "scholarships.access_all_students"
STUDENT_OBJECT_PERMISSION = "scholarships.view_student_documents"


def perms(app_label: str, models: Iterable[str], *actions: str) -> tuple[str, ...]:
    return tuple(f"{app_label}.{action}_{model}" for model in models for action in actions)


@dataclass(frozen=True)
class Capability:
    """A row of the table. ``permissions`` go to every role holding it (for a role
    scoped to its students, the object rule narrows them); ``all_records`` go only to
    the roles holding it for ``all`` records (they mean "every student")."""

    code: str
    label: str
    permissions: tuple[str, ...]
    roles: Mapping[Role, Scope] = field(default_factory=dict)
    all_records: tuple[str, ...] = ()


A, THEIRS, OWN = Scope.ALL, Scope.THEIR_STUDENTS, Scope.OWN_FILE
REFERENCE = ["community", "school", "program", "scholaryear", "session"]
BILLING_RECORDS = [
    "rateschedule",
    "communityfare",
    "schoolfee",
    "computingsheet",
    "computingsheetline",
    "scheduledpayment",
    "recovery",
    "schoolinvoice",
    "schoolinvoiceline",
]
BANK_RECORDS = [
    "bankaccount",
    "statementimport",
    "bankstatement",
    "statementline",
    "match",
    "rejectedsuggestion",
]

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "students.view",
        "See student records and their history",
        perms("scholarships", ["student", "historicalstudent"], "view"),
        {Role.STUDENT: OWN, COUNSELLORS: THEIRS, STAFF: A, FINANCE: A, OPS: A},
        all_records=(ALL_STUDENTS,),
    ),
    Capability(
        "students.change",
        "Edit student records (contact, family, language)",
        perms("scholarships", ["student"], "change"),
        {COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "students.add",
        "Add student records",
        perms("scholarships", ["student"], "add"),
        {STAFF: A},
    ),
    Capability(
        "students.assign",
        "Assign a student's counsellor; link or unlink their portal account",
        # Picking the counsellor or the account searches the users (admin autocomplete).
        ("scholarships.assign_student", "auth.view_user"),
        {STAFF: A},
    ),
    Capability(
        "reference.view",
        "See communities, schools, programs, scholar years and sessions",
        perms("scholarships", REFERENCE, "view"),
        {COUNSELLORS: A, STAFF: A, FINANCE: A, OPS: A},
    ),
    Capability(
        "reference.change",
        "Edit communities, schools, programs, scholar years and sessions",
        perms("scholarships", REFERENCE, "add", "change"),
        {STAFF: A},
    ),
    Capability(
        "enrollments.view",
        "See enrollments, their history and document checklists",
        perms("enrollment", ["enrollment", "historicalenrollment", "checklistitem"], "view"),
        {Role.STUDENT: OWN, COUNSELLORS: THEIRS, STAFF: A, FINANCE: A, OPS: A},
    ),
    Capability(
        "enrollments.change",
        "Create enrollments, edit them and move them through their workflow",
        perms("enrollment", ["enrollment"], "add", "change"),
        {Role.STUDENT: OWN, COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "checklist.review",
        "Accept or refuse the documents of a checklist",
        perms("enrollment", ["checklistitem"], "change"),
        {COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "checklist.rules",
        "Say which documents enrollments require",
        perms("enrollment", ["requireddocument"], "view")
        + perms("enrollment", ["requireddocument"], "add", "change"),
        {STAFF: A},
    ),
    Capability(
        "documents.view",
        "See and download student documents (the explorer, 60-second links)",
        (
            *perms("scholarships", ["studentdocument"], "view"),
            *perms("enrollment", ["enrollmentdocument"], "view"),
            *perms("documents", ["documentindex", "documentversion"], "view"),
        ),
        {Role.STUDENT: OWN, COUNSELLORS: THEIRS, STAFF: A, FINANCE: A, OPS: A},
        all_records=("documents.can_view_documents",),
    ),
    Capability(
        "documents.upload",
        "Upload and replace student documents",
        perms("scholarships", ["studentdocument"], "add", "change")
        + perms("enrollment", ["enrollmentdocument"], "add", "change"),
        {Role.STUDENT: OWN, COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "documents.school",
        "See and download school documents (invoices listing several students)",
        (
            "documents.can_view_school_documents",
            *perms("billing", ["schoolinvoicedocument"], "view"),
        ),
        {STAFF: A, FINANCE: A},
    ),
    Capability(
        "documents.school_upload",
        "Upload school documents",
        perms("billing", ["schoolinvoicedocument"], "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "documents.types",
        "Edit document types",
        perms("documents", ["documenttype"], "view", "add", "change"),
        {STAFF: A},
    ),
    Capability(
        "documents.accesses",
        "See who downloaded which document",
        perms("documents", ["documentaccess"], "view"),
        {STAFF: A, OPS: A},
    ),
    Capability(
        "api_keys",
        "See and revoke ingest API keys (created with a command)",
        perms("documents", ["apikey"], "view", "change"),
        {OPS: A},
    ),
    Capability(
        "billing.view",
        "See rates, computing sheets, payments, recoveries and school invoices",
        perms("billing", BILLING_RECORDS, "view"),
        {Role.STUDENT: OWN, STAFF: A, FINANCE: A, OPS: A},
    ),
    Capability(
        "billing.rates",
        "Edit rate schedules, fares and school fees",
        perms("billing", ["rateschedule", "communityfare", "schoolfee"], "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "billing.sheets",
        "Compute, adjust, validate and cancel computing sheets",
        perms("billing", ["computingsheet", "computingsheetline"], "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "billing.payments",
        "Mark payments sent or paid; settle recoveries",
        perms("billing", ["scheduledpayment", "recovery"], "change"),
        {FINANCE: A},
    ),
    Capability(
        "billing.invoices",
        "Record, approve and pay school invoices",
        perms("billing", ["schoolinvoice", "schoolinvoiceline"], "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "billing.bank_details",
        "Enter, change and confirm (another person's entry) students' and schools' bank "
        "details, shown masked",
        perms("billing", ["bankdetails"], "view", "add", "change"),
        {STAFF: A, FINANCE: A},
    ),
    Capability(
        "billing.bank_details_reveal",
        "See a full account number on the bank details' page (each reading logged)",
        ("billing.reveal_bankdetails",),
        {STAFF: A, FINANCE: A},
    ),
    Capability(
        "billing.bank_details_accesses",
        "See who read a full account number",
        perms("billing", ["bankdetailsaccess"], "view"),
        {FINANCE: A, OPS: A},
    ),
    Capability(
        "billing.payment_runs",
        "Prepare, approve (another person's), cancel payment runs and produce their bank "
        "files; set the ledger accounts of the accounting export (/finance/runs/)",
        perms("billing", ["paymentrun", "ledgeraccount"], "view", "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "billing.ledger_export",
        "Export the general ledger of payment runs, returns and write-offs (CSV, Xero), per "
        "run or per month",
        ("billing.export_ledger",),
        {FINANCE: A},
    ),
    Capability(
        "billing.payment_runs.view",
        "See payment runs",
        perms("billing", ["paymentrun"], "view"),
        {FINANCE: A, OPS: A},
    ),
    Capability(
        "reconciliation",
        "Import bank statements and reconcile them (/finance/)",
        perms("billing", BANK_RECORDS, "add", "change"),
        {FINANCE: A},
    ),
    Capability(
        "reconciliation.view",
        "See bank accounts, statements and matches",
        perms("billing", BANK_RECORDS, "view"),
        {FINANCE: A, OPS: A},
    ),
    Capability(
        "portal.claims",
        "See the refused claims of a student's record (their alert email links there)",
        perms("portal", ["claimattempt"], "view"),
        {COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "portal.support",
        "Invite students; see portal accounts and outgoing emails; send an email again",
        perms("portal", ["account", "outgoingemail"], "view")
        + perms("portal", ["invitation"], "view", "add")
        + perms("portal", ["outgoingemail"], "change"),
        {STAFF: A},
    ),
    Capability(
        "portal.mail_templates",
        "Edit the emails' wording",
        perms("portal", ["mailtemplate"], "view", "change"),
        {STAFF: A},
    ),
    Capability(
        "students.date_of_birth",
        "See students' dates of birth",
        ("scholarships.view_date_of_birth",),
        {COUNSELLORS: THEIRS, STAFF: A},
    ),
    Capability(
        "privacy.requests",
        "Record and answer privacy requests (access, corrections…); produce a student's "
        "data export; see the privacy notices accepted",
        perms("portal", ["datarequest"], "view", "add", "change")
        + perms("portal", ["correctionrequest"], "view", "change")
        + perms("portal", ["noticeacceptance"], "view"),
        {STAFF: A},
    ),
    Capability(
        "privacy.accesses",
        "See who opened a student's record and the per-student access report; the alerts "
        "sent to the privacy officer",
        perms("scholarships", ["studentrecordaccess"], "view")
        + perms("portal", ["privacyalert"], "view"),
        {STAFF: A, OPS: A},
    ),
    Capability(
        "privacy.retention",
        "Set the retention schedule; see what it destroyed",
        perms("portal", ["retentionrule"], "view", "change")
        + perms("portal", ["destructionrecord"], "view"),
        {STAFF: A},
    ),
    Capability(
        "privacy.destruction",
        "Review what the retention schedule makes due and confirm its destruction",
        ("portal.confirm_destruction",),
        {STAFF: A},
    ),
    Capability(
        "privacy.incidents",
        "Keep the confidentiality incident register",
        perms("portal", ["confidentialityincident"], "view", "add", "change"),
        {STAFF: A, OPS: A},
    ),
    Capability(
        "backups",
        "See backups (taken, pruned and verified by Celery beat and commands)",
        perms("avataq", ["backuprecord"], "view"),
        {OPS: A},
    ),
    Capability(
        "tasks.failed",
        "See background tasks that failed (name, error, traceback)",
        perms("avataq", ["failedtask"], "view"),
        {OPS: A},
    ),
)

# Permissions no role holds: only a superuser has them (deleting records, editing what
# services alone write, the object-permission tables themselves).
SUPERUSER_ONLY_ACTIONS = ("delete",)
SUPERUSER_ONLY: frozenset[str] = frozenset(
    perms(
        "scholarships",
        ["studentuserobjectpermission", "studentgroupobjectpermission"],
        "view",
        "add",
        "change",
    )
    + perms("scholarships", ["historicalstudent"], "add", "change")
    + perms("enrollment", ["historicalenrollment"], "add", "change")
    + perms("enrollment", ["checklistitem"], "add")
    + perms("documents", ["documentindex", "documentversion", "documentaccess"], "add", "change")
    + perms("documents", ["apikey"], "add")
    + perms("billing", ["scheduledpayment", "recovery"], "add")
    + perms("portal", ["account", "claimattempt", "outgoingemail"], "add")
    + perms("portal", ["account", "claimattempt", "invitation"], "change")
    + perms("portal", ["mailtemplate"], "add")
    + perms("avataq", ["backuprecord", "failedtask"], "add", "change")
    + perms("scholarships", ["studentrecordaccess"], "add", "change")
    + perms("portal", ["correctionrequest", "retentionrule"], "add")
    + perms("portal", ["noticeacceptance", "privacyalert", "destructionrecord"], "add", "change")
    + (STUDENT_OBJECT_PERMISSION,)
)
PROJECT_APPS = ("avataq", "scholarships", "enrollment", "billing", "documents", "portal")


def role_permissions(role: Role) -> frozenset[str]:
    """Every ``app_label.codename`` the table grants ``role``."""
    granted: set[str] = set()
    for capability in CAPABILITIES:
        if role in capability.roles:
            granted.update(capability.permissions)
            if capability.roles[role] == Scope.ALL:
                granted.update(capability.all_records)
    return frozenset(granted)


def role_scope(role: Role, code: str) -> Scope | None:
    """The scope of capability ``code`` for ``role``, or None when the role lacks it."""
    return next(c.roles.get(role) for c in CAPABILITIES if c.code == code)


@transaction.atomic
def sync_group_permissions(apps: Any = global_apps) -> None:
    """Create the groups and give each exactly the permissions the table grants it."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in GROUP_ROLES:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = Q(pk__in=[])
        for label in role_permissions(role):
            app_label, codename = label.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def sync_group_permissions_on_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.contrib.auth.management import create_permissions

    # Permissions are created per app by post_migrate too, in INSTALLED_APPS order; make
    # sure every app's exist before granting them.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_group_permissions()


# --- the README's table -----------------------------------------------------------------
TABLE_ROLES = (Role.STUDENT, COUNSELLORS, STAFF, FINANCE, OPS)


def permission_table_markdown() -> str:
    """The role × capability table, as the README shows it."""
    marks = {Scope.ALL: "✓", Scope.THEIR_STUDENTS: "their students", Scope.OWN_FILE: "own file"}
    header = "| capability | " + " | ".join(r.value for r in TABLE_ROLES) + " |"
    rule = "|---|" + "---|" * len(TABLE_ROLES)
    rows = [
        f"| {c.label} | "
        + " | ".join(marks[c.roles[r]] if r in c.roles else "" for r in TABLE_ROLES)
        + " |"
        for c in CAPABILITIES
    ]
    return "\n".join([header, rule, *rows])
