"""Accessibility checks in the browser tests: axe-core (from the npm registry,
`package.json`) run in the page, its violations of a given impact returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def available() -> bool:
    return AXE.exists()


def violations(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on ``page`` at these impacts, one line each
    ("rule: summary (n nodes) — the first node's selector"). Run through the DevTools
    protocol, so the page's Content-Security-Policy does not stand in the way."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes) — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
