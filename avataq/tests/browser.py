"""What the browser journeys share: Debian's Chromium driven by Playwright (one browser per
test module), the reference rows data migrations made, and a page whose clicks are
counted.

A *click* is what a person's hand does: a click on a link or a button, ticking a box,
picking from a list, choosing a file, pressing Enter in a search box, or opening a
bookmarked address. Typing into a field is counted apart (``typed``), as are the pages
the browser loads (``loads``)."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from avataq.dev.guide import SCREENSHOTS_VARIABLE
from billing.tests.factories import RateScheduleFactory
from scholarships.models import Session
from scholarships.tests.factories import SessionFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here (make test installs it)"
)
# The screen of a staff laptop the lists are made for.
LAPTOP = {"width": 1366, "height": 768}
# Playwright's device descriptors (``DEVICES["Pixel 5"]``), once a browser is launched.
DEVICES: dict[str, dict] = {}
# The guide's screenshots are named <name>.<language>.png, names being slugs.
GUIDE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for a module's journeys, closed at the module's end."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # between steps are plain synchronous calls all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            DEVICES.update(playwright.devices)
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            yield browser
            browser.close()
            # Django keeps a connection per context, and Playwright's greenlet gives the
            # test's ORM calls a context of their own: close that connection here, or it
            # outlives the tests and the test database cannot be dropped.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def data_migration_rows() -> None:
    """The rows data migrations made (document types, mail templates), for a test with
    committed transactions: one that ran before it flushed them."""
    from django.apps import apps

    from documents.models import DocumentType

    types = importlib.import_module("documents.migrations.0002_document_types").TYPES
    for code, name, name_fr, applies_to in types:
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_fr": name_fr,
                "applies_to": applies_to,
                "shown_to_student": applies_to != "invoice",
            },
        )
    for module in [
        "portal.migrations.0002_default_mail_templates",
        "portal.migrations.0004_account_exists_email",
        "portal.migrations.0005_record_linked_email",
    ]:
        importlib.import_module(module).create_defaults(apps, None)


@dataclass
class Journey:
    """A page whose clicks, typed fields and page loads are counted, per task."""

    page: Any
    base_url: str
    clicks: int = 0
    typed: int = 0
    loads: int = 0
    tasks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.page.on("load", self._loaded)

    def _loaded(self, _page: Any) -> None:
        self.loads += 1

    def task(self, name: str) -> None:
        """From here on, clicks count towards ``name`` (the README's rows)."""
        self.tasks.setdefault(name, 0)
        self._task = name

    def _count(self) -> None:
        self.clicks += 1
        if getattr(self, "_task", None):
            self.tasks[self._task] += 1

    # What a hand does.
    def open(self, path: str) -> None:
        """A bookmarked address (one click in the bookmarks bar)."""
        self._count()
        self.page.goto(f"{self.base_url}{path}")

    def click(self, locator: Any) -> None:
        self._count()
        locator.click()

    def check(self, locator: Any) -> None:
        self._count()
        locator.check()

    def choose(self, locator: Any, value: str | dict) -> None:
        """Pick an option of a list (by value, or ``{"label": …}``)."""
        self._count()
        if isinstance(value, dict):
            locator.select_option(**value)
        else:
            locator.select_option(value)

    def attach(self, locator: Any, path: str) -> None:
        """Choose a file (the file dialog's one pick)."""
        self._count()
        locator.set_input_files(path)

    def enter(self, locator: Any) -> None:
        """Press Enter in a field (submits its form)."""
        self._count()
        locator.press("Enter")

    def shot(self, name: str) -> None:
        """A full-page screenshot, when ``AVATAQ_E2E_SCREENSHOTS`` names a folder for them
        (to look at what the journeys drive)."""
        folder = os.environ.get("AVATAQ_E2E_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def back(self) -> None:
        """The browser's Back button."""
        self._count()
        self.page.go_back()

    def type(self, locator: Any, text: str) -> None:
        self.typed += 1
        locator.fill(text)


def this_years_sessions(
    application_deadline: dt.date | None = None,
) -> tuple[Session, Session]:
    """The current scholar year's fall and winter sessions, with the year's rates (the
    winter one taking applications until ``application_deadline`` when given)."""
    today = timezone.localdate()
    rates = RateScheduleFactory(
        scholar_year__first=today.year if today.month >= 8 else today.year - 1
    )
    first = rates.scholar_year.start_date.year
    fall = SessionFactory(scholar_year=rates.scholar_year, term="fall")
    extra = {"application_deadline": application_deadline} if application_deadline else {}
    winter = SessionFactory(
        scholar_year=rates.scholar_year,
        term="winter",
        start_date=dt.date(first + 1, 1, 10),
        end_date=dt.date(first + 1, 4, 30),
        **extra,
    )
    return fall, winter


def guide_screenshot(page: Any, name: str, language: str) -> None:
    """What the screen shows now, as the guide's ``<name>.<language>.png`` in the folder
    ``AVATAQ_GUIDE_SCREENSHOTS`` names (``make guide``: the copies committed under
    docs/src/assets/screenshots/; ``make test``: a throw-away folder the guide is built
    with); nothing when it is unset. The viewport only, in CSS pixels (a phone's too):
    ``make guide`` then makes the committed copies small (avataq.dev.guide.compact)."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE)
    if not folder:
        return
    assert GUIDE_NAME.match(name), f"guide screenshot names are lower-case slugs: {name!r}"
    page.screenshot(path=str(Path(folder) / f"{name}.{language}.png"), scale="css", caret="hide")
