"""Writes that belong to no single app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from avataq.roles import COUNSELLORS, FINANCE, OPS, STAFF

# username → (group, superuser); the counsellor is one the demo data assigns students to.
DEMO_LOGINS: dict[str, tuple[str | None, bool]] = {
    "admin": (None, True),
    "staff": (STAFF, False),
    "counsellor.annie": (COUNSELLORS, False),
    "finance": (FINANCE, False),
    "ops": (OPS, False),
}


@transaction.atomic
def demo_logins_ensure(*, password: str) -> list[AbstractUser]:
    """Create (or reset the password of) one login per role, for the embedded demo."""
    User = get_user_model()
    users = []
    for username, (group_name, superuser) in DEMO_LOGINS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        if group_name:
            user.groups.set([Group.objects.get(name=group_name)])
        users.append(user)
    return users
