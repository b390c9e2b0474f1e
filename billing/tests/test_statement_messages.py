"""The parsers' messages reach Finance in their language: every one of them has a French
translation in the catalogue, with the same placeholders."""

import ast
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.pofile import read_po

import billing.statements

PACKAGE = Path(billing.statements.__file__).parent
CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
TRANSLATING = {"gettext", "gettext_lazy", "ngettext", "_"}


def messages() -> list[tuple[str, str]]:
    """(module, msgid) of every literal the package hands to gettext."""
    found = []
    for module in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in TRANSLATING and node.args and isinstance(node.args[0], ast.Constant):
                found.append((module.name, node.args[0].value))
    return sorted(set(found))


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="fr")


@pytest.mark.parametrize(("module", "msgid"), messages())
def test_every_message_of_the_parsers_has_its_french_translation(catalogue, module, msgid):
    message = catalogue.get(msgid)

    assert message is not None, f"{module}: {msgid!r} is not in the French catalogue"
    assert all(message.string) if isinstance(message.string, tuple) else message.string
    if "%(" in msgid:
        python_format(catalogue, message)  # raises when the placeholders differ
