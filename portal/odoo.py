"""The cut-over from Odoo: students' portal accounts, and the wording of emails.

**Portal accounts** (``res.users`` whose ``share`` is set: Odoo's portal users) become
accounts linked to their student (the student model's field naming its user, mapped as
``[portal_account.fields] student_user``): unconfirmed, with no usable password — no
password ever leaves Odoo. ``manage.py invite_students --imported`` then sends each
student an invitation in their language; accepting it sets the password and confirms
the account. Internal users (staff) and portal users of no student are skipped.

**Mail templates** (``mail.template``): only those the mapping names
(``[mail_template.values.code]``, Odoo's external id or name → our email) replace our
wording, converted from Odoo's HTML and ``{{ object.… }}`` expressions to plain text and
our variables (``[mail_template.values.variable]``); a template that would not render, or
that loses a link our email carries, is refused and ours stays."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from simple_history.utils import bulk_update_with_history

from avataq.odoo import (
    MANY2ONE,
    Column,
    FieldSpec,
    Importer,
    Job,
    ModelMap,
    ModelSpec,
    Pending,
    Refused,
    Row,
    Skipped,
    register,
)
from avataq.odoo import values as v
from avataq.odoo.importer import batched
from avataq.odoo.report import ModelReport
from avataq.odoo.sql import HISTORY_REASON
from portal.mail import CATALOG, template_problems
from portal.models import Account, MailTemplate
from portal.services.accounts import normalize_email
from scholarships.models import Student

User = get_user_model()
ODOO_LANGUAGES = {"en": "en", "fr": "fr"}


def language_of(odoo_lang: str) -> str:
    """Odoo's ``fr_CA``, ``fr_FR``, ``en_US``… as ours (English otherwise)."""
    return ODOO_LANGUAGES.get(odoo_lang.strip().lower()[:2], "en")


class AccountImporter(Importer):
    key = "portal_account"
    label = "portal.Account"
    model = Account
    depends = ("student",)
    optional = True
    verify_fields = ("email",)
    spec = ModelSpec(
        key="portal_account",
        odoo_model="res.users",
        fields=(
            FieldSpec("login", default="login"),
            FieldSpec("email", default="email", required=False),
            FieldSpec("language", default="lang", required=False),
            FieldSpec("is_active", default="active", required=False),
            FieldSpec("share", default="share", required=False),
            # The field of the student model naming the student's portal user.
            FieldSpec("student_user"),
        ),
    )

    def columns(self, mapped: ModelMap) -> list[Column]:
        return [c for n, c in mapped.columns.items() if n != "student_user"]

    def other_columns(self, job: Job, mapped: ModelMap) -> dict[str, list[Column]]:
        student_model = job.map_of("student").odoo_model
        return {student_model: [Column(mapped.column("student_user"), MANY2ONE)]}

    def prepare(self, job: Job, mapped: ModelMap) -> None:
        column = Column(mapped.column("student_user"), MANY2ONE)
        self.students: dict[str, int] = {}
        rows = job.rows(job.map_of("student").odoo_model, [column])
        for batch in batched(rows, 5000):
            # Only students with a portal user are kept (and looked up).
            batch = [row for row in batch if row.one(column.field) is not None]
            job.new_batch()
            job.resolve("student", (row.ref for row in batch))
            for row in batch:
                user, student = row.one(column.field), job.lookup("student", row.ref)
                if user is not None and student is not None:
                    for key in filter(None, (user.xid, f"#{user.odoo_id}" if user.odoo_id else "")):
                        self.students[key] = student

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        keys = [row.ref.xid, f"#{row.ref.odoo_id}" if row.ref.odoo_id is not None else ""]
        if mapped.has("share") and not v.boolean(mapped.cell(row, "share"), "share"):
            raise Skipped  # an internal user (staff): not a student's account
        student = next((self.students[k] for k in keys if k in self.students), None)
        if student is None:
            raise Skipped  # a portal user who is no student's
        email = v.text(mapped.cell(row, "email")) or v.text(mapped.cell(row, "login"))
        try:
            validate_email(email)
        except ValidationError:
            raise Refused(f"login/email {email!r} is not an email address") from None
        active = not mapped.has("is_active") or v.boolean(
            mapped.cell(row, "is_active"), mapped.what("is_active")
        )
        return {
            "email": email[:150],
            "language": language_of(mapped.cell(row, "language")),
            "_student": student,
            "_active": active,
        }

    def check(self, items: list[Pending], job: Job, report: ModelReport) -> list[Pending]:
        emails = {normalize_email(i.values["email"]) for i in items}
        taken = {
            normalize_email(email): pk
            for pk, email in Account.objects.annotate(folded=Lower("email"))
            .filter(folded__in=emails)
            .values_list("pk", "email")
        }
        taken_users = set(
            User.objects.filter(username__in=emails).values_list("username", flat=True)
        )
        linked = dict(
            Student.objects.filter(pk__in=[i.values["_student"] for i in items]).values_list(
                "pk", "user_id"
            )
        )
        own_users = dict(
            Account.objects.filter(pk__in=[i.object_id for i in items if i.object_id]).values_list(
                "pk", "user_id"
            )
        )
        kept, seen = [], {}
        for item in items:
            email = normalize_email(item.values["email"])
            mine = own_users.get(item.object_id)
            if email in seen:
                report.refuse(item.row.where, f"email {email} repeats {seen[email]}")
            elif taken.get(email, item.object_id) != item.object_id or (
                email in taken_users and item.object_id is None
            ):
                report.refuse(item.row.where, f"an account here already uses {email}")
            elif linked.get(item.values["_student"]) not in (None, mine):
                report.refuse(item.row.where, "its student already has a portal account here")
            else:
                seen[email] = item.row.where
                kept.append(item)
        return kept

    def insert(self, items: list[Pending], job: Job) -> None:
        users = []
        for item in items:
            user = User(
                username=normalize_email(item.values["email"]),
                email=item.values["email"],
                is_active=item.values["_active"],
            )
            user.set_unusable_password()  # no password leaves Odoo
            users.append(user)
        User.objects.bulk_create(users)
        accounts = [
            Account(user=user, email=i.values["email"], language=i.values["language"])
            for i, user in zip(items, users, strict=True)
        ]
        Account.objects.bulk_create(accounts)
        for item, account in zip(items, accounts, strict=True):
            item.object_id = account.pk
        self._link(items, {i.values["_student"]: u for i, u in zip(items, users, strict=True)})

    def update(self, items: list[Pending], job: Job) -> None:
        accounts = Account.objects.select_related("user").in_bulk([i.object_id for i in items])
        for item in items:
            account = accounts[item.object_id]
            account.email, account.language = item.values["email"], item.values["language"]
            account.save(update_fields=["email", "language"])
            user = account.user
            user.username, user.email = normalize_email(account.email), account.email
            user.is_active = item.values["_active"]
            user.save(update_fields=["username", "email", "is_active"])
        self._link(items, {i.values["_student"]: accounts[i.object_id].user for i in items})

    def _link(self, items: list[Pending], users: dict[int, Any]) -> None:
        students = list(Student.objects.filter(pk__in=list(users), user__isnull=True))
        for student in students:
            student.user = users[student.pk]
        if students:
            bulk_update_with_history(
                students, Student, ["user"], default_change_reason=HISTORY_REASON
            )


# --- mail templates -----------------------------------------------------------------------------
VARIABLES = tuple(sorted({name for spec in CATALOG.values() for name in spec.sample}))
EXPRESSION = re.compile(
    r"\{\{\s*(?P<a>[^}]+?)\s*\}\}"  # {{ object.name }} (Odoo 16 inline templates)
    r"|<t\s+t-(?:out|esc)=(?P<q>[\"'])(?P<b>.+?)(?P=q)\s*/?>(?:</t>)?"  # <t t-out="object.name"/>
    r"|\$\{(?P<c>[^}]+)\}"  # ${object.name} (before Odoo 15)
)


class _Text(HTMLParser):
    # <br/> is a start tag only (an end tag too would break the line twice).
    BREAKS = {"p", "div", "tr", "li", "h1", "h2", "h3", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href and not href.startswith("mailto:"):
                self.parts.append(f"{href} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(" ".join(data.split()) if "\n" in data else data)


def html_to_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in html.unescape(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


class MailTemplateImporter(Importer):
    key = "mail_template"
    label = "portal.MailTemplate"
    model = MailTemplate
    optional = True
    natural_key = ("code", "language")
    verify_fields = ("subject",)
    spec = ModelSpec(
        key="mail_template",
        odoo_model="mail.template",
        fields=(
            FieldSpec("code", default="name", choices=tuple(CATALOG)),
            FieldSpec("subject", default="subject"),
            FieldSpec("body", default="body_html"),
            FieldSpec("language", default="=en", required=False, choices=("en", "fr")),
            # Only a value map: Odoo's expression = our variable.
            FieldSpec("variable", default="", required=False, choices=VARIABLES),
        ),
    )

    def convert(self, row: Row, mapped: ModelMap, job: Job) -> dict[str, Any]:
        codes = mapped.values.get("code", {})
        code = codes.get(row.ref.xid) or codes.get(v.text(mapped.cell(row, "code")))
        if code is None:
            raise Skipped  # not one the mapping asks for: our wording stays
        language = mapped.values.get("language", {}).get(
            mapped.cell(row, "language"), mapped.cell(row, "language") or "en"
        )
        if language not in ("en", "fr"):
            raise Refused(f"language {language!r} is not en or fr")
        variables = mapped.values.get("variable", {})
        unknown: list[str] = []

        def ours(found: re.Match) -> str:
            expression = (found["a"] or found["b"] or found["c"]).strip()
            name = variables.get(expression)
            if name is None:
                unknown.append(expression)
                return ""
            return "{{ " + name + " }}"

        subject = EXPRESSION.sub(ours, v.text(mapped.cell(row, "subject")))
        # Expressions first: a QWeb one (<t t-out="…"/>) is an element the conversion to
        # text would drop.
        body = html_to_text(EXPRESSION.sub(ours, mapped.cell(row, "body")))
        if unknown:
            raise Refused(
                f"Odoo expression(s) {', '.join(sorted(set(unknown)))} have no variable of "
                "ours: map them in [mail_template.values.variable]"
            )
        problems = template_problems(code=code, subject=subject, body=body)
        if problems:
            raise Refused("; ".join(f"{k}: {' '.join(p)}" for k, p in problems.items()))
        links = {name for name in CATALOG[code].sample if name.endswith("_url")}
        lost = sorted(name for name in links if "{{ " + name + " }}" not in body)
        if lost:
            raise Refused(f"the email would lose its link(s) {', '.join(lost)}")
        return {"code": code, "language": language, "subject": subject[:200], "body": body}

    def insert(self, items: list[Pending], job: Job) -> None:
        for item in items:
            template = MailTemplate(**item.values)
            template.full_clean()
            template.save()
            item.object_id = template.pk

    def update(self, items: list[Pending], job: Job) -> None:
        for item in items:
            template = MailTemplate.objects.get(pk=item.object_id)
            template.subject, template.body = item.values["subject"], item.values["body"]
            template.full_clean()
            template.save()


def register_importers() -> None:
    register(AccountImporter())
    register(MailTemplateImporter())
