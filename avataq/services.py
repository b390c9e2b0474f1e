"""Writes that belong to no single app, and what every app's update services share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import models, transaction

from avataq.roles import COUNSELLORS, FINANCE, OPS, STAFF

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: Iterable[str], data: dict[str, Any]) -> list[str]:
    """Set on ``instance`` the values of ``data`` for the ``fields`` an update service
    may change (HackSoft's ``model_update``), and return the names of those that changed
    (nothing is saved: the service validates and saves). A name outside ``fields`` is a
    programming error — a status changed without its workflow — and raises ``TypeError``
    naming it, before anything is set."""
    allowed = set(fields)
    refused = sorted(set(data) - allowed)
    if refused:
        raise TypeError(f"{type(instance).__name__} update may not set: {', '.join(refused)}")
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, data[name])
    return changed


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
