"""One error model: every error the project defines is an AvataqError, with a stable
code and a message a person reads in their language."""

import importlib
import inspect
import pkgutil

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404
from django.utils import translation

from avataq.commands import AvataqCommand
from avataq.errors import AvataqError, DependencyUnavailable

PROJECT_PACKAGES = ["avataq", "scholarships", "enrollment", "billing", "documents", "portal"]


def project_modules():
    for name in PROJECT_PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".tests" in info.name or ".migrations" in info.name or ".dev" in info.name:
                continue
            if ".management.commands." in info.name:
                continue
            yield importlib.import_module(info.name)


def project_exceptions():
    """Every exception class the project defines, except Django's own answers (an
    ``Http404`` subclass is a 404, not an error) and a module's private control flow (a
    leading underscore: never leaves its module)."""
    found = {}
    for module in project_modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if not issubclass(value, BaseException) or value.__module__ != module.__name__:
                continue
            if issubclass(value, Http404) or value.__name__.startswith("_"):
                continue
            found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_error_the_project_defines_is_an_avataq_error():
    outside = [
        name for name, cls in project_exceptions().items() if not issubclass(cls, AvataqError)
    ]

    assert outside == []


def test_each_kind_of_error_has_its_own_code():
    codes = {}
    for name, cls in project_exceptions().items():
        if "code" in vars(cls):
            codes.setdefault(cls.code, []).append(name)

    assert {code: names for code, names in codes.items() if len(names) > 1} == {}


@pytest.mark.parametrize(
    ("language", "text"), [("en", "This cannot be done."), ("fr", "Ce n'est pas possible.")]
)
def test_the_default_message_reads_in_the_active_language(language, text):
    error = AvataqError()

    with translation.override(language):
        assert str(error) == text


class Refusing(AvataqCommand):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def handle(self, *args, **options) -> None:
        raise self.error


def test_a_command_turns_a_refusal_into_one_line_and_exit_status_1():
    with pytest.raises(CommandError) as raised:
        call_command(Refusing(AvataqError("The enrollment is\nclosed.")))

    assert (str(raised.value), raised.value.returncode) == ("The enrollment is closed.", 1)


def test_a_command_says_which_dependency_did_not_answer_with_exit_status_2():
    with pytest.raises(CommandError) as raised:
        call_command(Refusing(DependencyUnavailable("storage")))

    assert raised.value.returncode == 2
    assert str(raised.value).startswith("the storage did not answer")
