"""System checks: configuration problems surface at ``manage.py check`` (and at the start
of every command and server), naming the variable, never as a stack trace at first use."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_configuration(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list:
    return [
        checks.Error(problem, hint=f"Set {name} in the environment.", id="avataq.E001", obj=name)
        for name, problem in getattr(settings, "AVATAQ_CONFIG_ERRORS", [])
    ]
