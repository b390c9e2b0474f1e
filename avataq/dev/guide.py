"""The guide (docs/: MkDocs Material, English and French), always built with ``--strict``:
a broken link or anchor, a missing page or screenshot, or a README section an ops page
includes that is gone, fails the build.

- ``make test`` builds it after the suite (:func:`check`): from a copy of docs/ in which
  the screenshots this run's browser journeys took replace the committed ones, into a
  throw-away folder. The site built shows this commit's screens; the step takes seconds.
- ``make guide`` (:func:`main`) runs the browser journeys alone, their screenshots going
  to docs/src/assets/screenshots/ (the copies committed, made small by :func:`compact`),
  then builds the site into docs/site/ (open docs/site/index.html).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
DOCS = BASE_DIR / "docs"
SCREENSHOTS = DOCS / "src" / "assets" / "screenshots"
SITE = DOCS / "site"
# The folder the journeys write the guide's screenshots to (avataq.tests.browser);
# unset, they take none.
SCREENSHOTS_VARIABLE = "AVATAQ_GUIDE_SCREENSHOTS"
# The browser journeys: a day of each role, in English and in French.
JOURNEYS = ["avataq/tests/test_e2e_journeys.py", "portal/tests/test_e2e.py"]


def compact(folder: Path) -> int:
    """Reduce each full-colour PNG in ``folder`` to a 256-colour palette, without
    dithering (screens are flat colours and text, which stay sharp): a third of the size.
    Those already reduced are left alone. Returns how many were reduced."""
    from PIL import Image

    reduced = 0
    for path in sorted(folder.glob("*.png")):
        with Image.open(path) as image:
            if image.mode == "P":
                continue
            palette = image.convert("RGB").quantize(
                colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
        palette.save(path, optimize=True)
        reduced += 1
    return reduced


def build(site_dir: Path, *, docs_dir: Path = DOCS) -> int:
    """``mkdocs build --strict`` of the guide in ``docs_dir`` into ``site_dir``; its exit
    status."""
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(docs_dir / "mkdocs.yml"),
        "--site-dir",
        str(site_dir),
    ]
    print(f"\n== guide: {' '.join(command)}", flush=True)
    started = time.monotonic()
    # NO_MKDOCS_2_WARNING silences a banner Material prints on every build. Not --quiet:
    # it hides the warnings from --strict too, which then passes whatever is broken; the
    # INFO lines are left out here instead.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    for line in result.stdout.splitlines():
        if not line.startswith("INFO"):
            print(line, flush=True)
    returncode = result.returncode
    outcome = "built" if returncode == 0 else "FAILED (see above)"
    print(f"guide: {outcome} in {time.monotonic() - started:.1f} s", flush=True)
    return returncode


def check(*, fresh_screenshots: Path) -> int:
    """The guide built with the screenshots in ``fresh_screenshots`` laid over the
    committed ones (none there, when the journeys were skipped or not run: the committed
    ones alone), into a throw-away folder."""
    fresh = sorted(fresh_screenshots.glob("*.png"))
    print(f"\nguide: {len(fresh)} screenshots taken by this run", flush=True)
    with tempfile.TemporaryDirectory(prefix="avataq-guide-") as tmp:
        docs_dir = DOCS
        if fresh:
            # A copy of docs/ beside links to the rest of the repository, whose files
            # the pages include (snippets: paths from the folder above docs/).
            repository = Path(tmp) / "repository"
            docs_dir = repository / DOCS.name
            shutil.copytree(DOCS, docs_dir, ignore=shutil.ignore_patterns("site"))
            for entry in BASE_DIR.iterdir():
                if entry.name != DOCS.name:
                    (repository / entry.name).symlink_to(entry)
            into = docs_dir / SCREENSHOTS.relative_to(DOCS)
            for png in fresh:
                shutil.copyfile(png, into / png.name)
        return build(Path(tmp) / "site", docs_dir=docs_dir)


def main(pytest_args: list[str]) -> int:
    """``make guide``: the journeys refresh the committed screenshots, then the site."""
    from avataq.dev import postgres
    from avataq.dev import test as suite

    database_url, server = suite.resolve_database()
    try:
        with suite.suite_environment(database_url) as env:
            env[SCREENSHOTS_VARIABLE] = str(SCREENSHOTS)
            journeys = [sys.executable, "-m", "pytest", *JOURNEYS, *pytest_args]
            if suite.run("journeys", journeys, env):
                return 1
    finally:
        if server is not None:
            postgres.stop_embedded(server)
    reduced = compact(SCREENSHOTS)
    print(f"guide: {reduced} new screenshots in {SCREENSHOTS.relative_to(BASE_DIR)}", flush=True)
    if build(SITE):
        return 1
    print(f"guide: open {(SITE / 'index.html').relative_to(BASE_DIR)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
