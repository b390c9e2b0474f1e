"""Compile the committed ``locale/*/LC_MESSAGES/*.po`` catalogues to ``.mo``, in pure
Python (Babel), so installing needs no GNU gettext. Run by ``make`` at install time and by
the Dockerfile; ``--check`` fails on a catalogue that does not compile."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

BASE_DIR = Path(__file__).resolve().parents[2]


def compile_all(locale_dir: Path = BASE_DIR / "locale") -> list[Path]:
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def main() -> int:
    written = compile_all()
    if not written:
        print("compilemessages: no catalogue under locale/", file=sys.stderr)
        return 1
    for path in written:
        print(f"compiled {path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
