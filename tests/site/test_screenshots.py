"""Full-page screenshots of every page, in both palettes, at a laptop's and a phone's width,
for review (artifacts/screenshots/, kept by CI). Each page's height is recorded in
artifacts/site-metrics.json (the verification report's is the one to watch)."""

from __future__ import annotations

import pytest
from site_helpers import NARROW, WIDE, html_pages

PALETTES = {"light": "default", "dark": "slate"}
HEIGHTS: dict[str, int] = {}
SHOT_MS = 120_000  # a full-page shot of the verification report, tens of screens tall, is slow


def name_of(path: str) -> str:
    return path.removesuffix(".html").strip("/").replace("/", "-") or "home"


@pytest.mark.parametrize("width", [WIDE, NARROW])
@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("path", html_pages() or [""], ids=name_of)
def test_screenshot(visit, screenshots, metrics, path, palette, width):
    opened = visit(path, palette=palette, width=width)
    assert opened.scheme == PALETTES[palette]
    page = opened.page
    page.wait_for_timeout(300)  # diagrams and tooltips settle after the network is idle
    height = page.evaluate("document.documentElement.scrollHeight")
    if palette == "light":
        HEIGHTS[f"{name_of(path)} at {width}px"] = height
        metrics.record("page_heights_px", HEIGHTS)
    shot = screenshots / f"{name_of(path)}-{palette}-{width}.png"
    page.screenshot(path=shot, full_page=True, timeout=SHOT_MS)
    assert shot.stat().st_size > 10_000
