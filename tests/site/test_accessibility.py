"""axe-core finds no serious or critical accessibility violation on any page, in either
palette. Every violation found (of any impact) is written to artifacts/accessibility.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from site_helpers import ARTIFACTS, html_pages

BLOCKING = {"serious", "critical"}
PALETTES = {"light": "default", "dark": "slate"}  # emulated system setting -> Material scheme
FINDINGS: dict[str, Any] = {}


@pytest.fixture(scope="module")
def axe() -> Iterator[Axe]:
    yield Axe()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "accessibility.json").write_text(json.dumps(FINDINGS, indent=2) + "\n")


def describe(violation: dict[str, Any]) -> str:
    nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    more = len(violation["nodes"]) - 5
    return (
        f"{violation['id']} ({violation['impact']}, {violation['helpUrl']}): "
        f"{violation['help']} at {nodes}" + (f" and {more} more" if more > 0 else "")
    )


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("path", html_pages() or [""], ids=lambda p: p or "home")
def test_no_serious_accessibility_violation(visit, axe, path, palette):
    opened = visit(path, palette=palette)
    assert opened.scheme == PALETTES[palette]
    violations = axe.run(opened.page).response["violations"]
    FINDINGS[f"{path or 'home'} ({palette})"] = {
        v["id"]: {"impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
    }
    blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(blocking)
