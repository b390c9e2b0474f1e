from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.services.accounts import imported_students_invite


class Command(BaseCommand):
    help = (
        "Invite students to the portal. With --imported: every student whose account was "
        "brought over from Odoo (import_odoo) and has no password yet, each in their "
        "language, to set one. Students with an invitation still valid are left alone, so "
        "running it again sends nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--imported",
            action="store_true",
            help="the students whose portal accounts were imported from Odoo",
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the staff user the invitations are sent in the name of (default: the only "
            "superuser)",
        )

    def handle(self, *args: Any, imported: bool, by: str | None, **options: Any) -> None:
        if not imported:
            raise CommandError(
                _("say which students: --imported (others are invited from their admin page)")
            )
        sender = self._sender(by)
        sent = imported_students_invite(by=sender)
        for invitation in sent:
            self.stdout.write(f"  {invitation.student} → {invitation.email}")
        self.stdout.write(
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", len(sent))
            % {"count": len(sent)}
        )

    def _sender(self, by: str | None) -> Any:
        users = get_user_model().objects.filter(is_active=True, is_staff=True)
        if by:
            found = users.filter(username=by).first()
            if found is None:
                raise CommandError(
                    _("--by %(username)s: no active staff user with that username")
                    % {"username": by}
                )
            return found
        superusers = list(users.filter(is_superuser=True)[:2])
        if len(superusers) != 1:
            raise CommandError(
                ngettext(
                    "name the staff user the invitations come from: --by USERNAME "
                    "(%(count)d superuser here)",
                    "name the staff user the invitations come from: --by USERNAME "
                    "(%(count)d superusers here)",
                    len(superusers),
                )
                % {"count": len(superusers)}
            )
        return superusers[0]
