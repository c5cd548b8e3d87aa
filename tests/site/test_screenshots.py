"""Screenshots of the home page and of a page full of claims, in both palettes, for review
(in artifacts/screenshots/, kept by CI)."""

from __future__ import annotations

import pytest

PAGES = {"home": "", "writable-layer": "containers/writable-layer/"}
PALETTES = {"light": "default", "dark": "slate"}


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("name", PAGES)
def test_screenshot(visit, screenshots, name, palette):
    opened = visit(PAGES[name], palette=palette)
    assert opened.scheme == PALETTES[palette]
    if name != "home":
        assert opened.page.locator("a.claim-badge").count() > 0
    path = screenshots / f"{name}-{palette}.png"
    opened.page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000
