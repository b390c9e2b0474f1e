"""The guide (docs/) against what it shows and names: its screenshots are the ones the
browser journeys take, each page's pictures exist in that page's language, and every
``manage.py`` command it mentions exists. (``make test`` builds the guide with --strict
after the suite: avataq.dev.guide.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from avataq.dev.guide import DOCS, JOURNEYS, SCREENSHOTS

BASE_DIR = DOCS.parent
SOURCES = DOCS / "src"
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"([^"]+)"\s*$', re.MULTILINE)
COMMAND = re.compile(r"manage\.py\s+([a-z][a-z0-9_]*)")
# Committed screenshots stay small: viewport shots in a 256-colour palette.
MOST_BYTES_EACH, MOST_BYTES_IN_ALL = 100_000, 2_000_000


class ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, its MkDocs tags (``!relative``…) as nothing."""


ConfigLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def i18n_languages() -> list[dict]:
    """The languages mkdocs.yml builds (its i18n plugin's), the default one first."""
    config = yaml.load((DOCS / "mkdocs.yml").read_text(), Loader=ConfigLoader)  # noqa: S506
    (i18n,) = [plugin["i18n"] for plugin in config["plugins"] if "i18n" in plugin]
    return sorted(i18n["languages"], key=lambda language: not language.get("default"))


def languages() -> list[str]:
    return [language["locale"] for language in i18n_languages()]


def pages() -> list[tuple[Path, str]]:
    """Every page of the guide, with its language (``page.fr.md`` French; else the
    default)."""
    default, *others = languages()
    found = []
    for page in sorted(SOURCES.rglob("*.md")):
        suffix = page.suffixes[-2].lstrip(".") if len(page.suffixes) > 1 else ""
        found.append((page, suffix if suffix in others else default))
    return found


def with_snippets(text: str) -> str:
    """The page as MkDocs renders it: the files (or ``file:section``) its
    ``--8<-- "…"`` lines include, put in their place."""

    def included(match: re.Match) -> str:
        name, _, section = match.group(1).partition(":")
        body = (BASE_DIR / name).read_text()
        if section:
            start = re.search(rf"-{{1,}}8<-{{1,}}\s+\[start:{re.escape(section)}\]", body)
            end = re.search(rf"-{{1,}}8<-{{1,}}\s+\[end:{re.escape(section)}\]", body)
            assert start and end, f"{name} has no section {section!r}"
            body = body[start.end() : end.start()]
        return body

    return SNIPPET.sub(included, text)


def screenshot_references() -> list[tuple[Path, str, str]]:
    """(page, language, name) for each screenshot a page shows (``name.png``, which the
    i18n plugin serves as ``name.<language>.png``)."""
    found = []
    for page, language in pages():
        for target in IMAGE.findall(page.read_text()):
            path = (page.parent / target).resolve()
            if path.parent == SCREENSHOTS.resolve():
                found.append((page, language, Path(target).stem))
    return found


def journey_screenshots() -> set[str]:
    """The names the browser journeys pass to ``guide_screenshot`` (literal strings, so
    that this test can read them)."""
    names = set()
    for module in JOURNEYS:
        tree = ast.parse((BASE_DIR / module).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "guide_screenshot"
            ):
                name = node.args[1]
                assert isinstance(name, ast.Constant), (
                    f"{module}:{node.lineno}: pass guide_screenshot a literal name"
                )
                names.add(name.value)
    return names


def test_the_journeys_take_screenshots_for_the_guide():
    assert len(journey_screenshots()) >= 10


def test_every_screenshot_a_page_shows_is_committed_in_the_pages_language():
    references = screenshot_references()
    assert references, "no page shows a screenshot"
    missing = [
        f"{page.relative_to(DOCS)}: {name}.{language}.png"
        for page, language, name in references
        if not (SCREENSHOTS / f"{name}.{language}.png").exists()
    ]
    assert not missing, "screenshots shown but not committed (run `make guide`): " + ", ".join(
        missing
    )


def test_every_other_image_a_page_shows_exists():
    missing = []
    for page, language in pages():
        for target in IMAGE.findall(page.read_text()):
            path = (page.parent / target).resolve()
            if path.parent == SCREENSHOTS.resolve() or "://" in target:
                continue
            localized = path.with_suffix(f".{language}{path.suffix}")
            if not (path.exists() or localized.exists()):
                missing.append(f"{page.relative_to(DOCS)}: {target}")
    assert not missing, ", ".join(missing)


@pytest.mark.parametrize("language", languages())
def test_every_screenshot_the_journeys_take_is_shown_in_each_language(language):
    shown = {
        name for _page, page_language, name in screenshot_references() if page_language == language
    }
    not_shown = sorted(journey_screenshots() - shown)
    assert not not_shown, (
        f"the journeys take these screenshots for the guide, but no {language} page shows "
        f"them (show them, or stop taking them): {not_shown}"
    )


def test_every_committed_screenshot_is_one_the_journeys_take():
    """A committed screenshot no journey takes would never be refreshed."""
    names, known = journey_screenshots(), set(languages())
    stray = []
    for png in sorted(SCREENSHOTS.glob("*")):
        name, _, language = png.name.removesuffix(".png").rpartition(".")
        if png.suffix != ".png" or name not in names or language not in known:
            stray.append(png.name)
    assert not stray, f"no journey takes these (remove them): {stray}"


def test_committed_screenshots_stay_small():
    sizes = {png.name: png.stat().st_size for png in SCREENSHOTS.glob("*.png")}
    large = {name: size for name, size in sizes.items() if size > MOST_BYTES_EACH}
    assert not large, f"over {MOST_BYTES_EACH} bytes: {large}"
    assert sum(sizes.values()) <= MOST_BYTES_IN_ALL


def test_every_command_the_guide_mentions_exists():
    commands = get_commands()
    unknown = sorted(
        f"{page.relative_to(DOCS)}: manage.py {name}"
        for page, _language in pages()
        for name in COMMAND.findall(with_snippets(page.read_text()))
        if name not in commands
    )
    assert not unknown, "the guide names commands that do not exist: " + ", ".join(unknown)


def test_the_command_check_reads_commands_from_included_readme_sections():
    """The check above sees the commands of the README sections an ops page includes."""
    text = with_snippets('--8<-- "README.md:permission-table"\n')
    assert "| capability |" in text
    assert COMMAND.findall("run `python manage.py nosuchcommand --x`") == ["nosuchcommand"]
