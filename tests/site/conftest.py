"""Checks on the built site/: served by a thread on 127.0.0.1, driven in Debian's Chromium.

Run after a build (`nox -s tests` does both). Screenshots and measurements go to artifacts/,
which CI keeps; the session prints where.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)
from site_helpers import (
    METRICS,
    NARROW,
    NO_SITE,
    SCREENSHOTS,
    SITE,
    WIDE,
    SiteServer,
    base_path,
    build,
    serve,
)

# Debian's Chromium; never a browser that Playwright downloads. CHROMIUM overrides the path
# (e.g. /usr/bin/google-chrome on a GitHub runner).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000  # the bound on every wait in the browser
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def site() -> Iterator[SiteServer]:
    """site/ served on 127.0.0.1 at a free port, for the whole session."""
    if not (SITE / "index.html").is_file():
        pytest.fail(NO_SITE)
    with serve(SITE, base_path(SITE)) as server:
        yield server


PREFIX = "/a/sub/path/"  # where the prefixed build is published and served


@pytest.fixture(scope="session")
def prefixed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """The site built for publishing under a path other than site/'s (SITE_URL), with no
    repository configured, and served there."""
    if not (SITE / "index.html").is_file():
        pytest.fail(NO_SITE)  # the build needs the report that built site/
    folder = tmp_path_factory.mktemp("prefixed") / "site"
    folder.mkdir()
    with serve(folder, PREFIX) as server:
        build(folder, SITE_URL=server.url)
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `apt-get install chromium` (scripts/docker-engine.sh "
            "does), or set CHROMIUM to a Chromium or Chrome binary"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A page opened in a fresh browser context, with every request it made."""

    page: Page
    context: BrowserContext
    requests: list[Request] = field(default_factory=list)
    response: Response | None = None  # the page's own

    @property
    def scheme(self) -> str | None:
        return self.page.locator("body").get_attribute("data-md-color-scheme")


HEIGHTS = {WIDE: 900, NARROW: 844}
# Chromium drops the requests in flight when the host's network changes, as it does whenever
# an engine adds or removes a container's network: such a load is made again, up to LOADS times.
NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"
LOADS = 3


@pytest.fixture
def visit(browser: Browser, site: SiteServer) -> Iterator[Callable[..., Visit]]:
    """visit(page, palette="light", width=WIDE): open a page of the site (a path under it, or
    a whole URL) in a new context; init_script runs in every document before its own."""
    contexts: list[BrowserContext] = []

    def open_page(
        path: str,
        palette: str = "light",
        width: int = WIDE,
        init_script: str | None = None,
        **options: Any,
    ) -> Visit:
        url = path if path.startswith("http") else site.url + path
        for _ in range(LOADS):
            context = browser.new_context(
                color_scheme=palette,  # type: ignore[arg-type]
                viewport={"width": width, "height": HEIGHTS.get(width, 900)},
                service_workers="block",
                **options,
            )
            contexts.append(context)
            context.set_default_timeout(WAIT_MS)
            context.set_default_navigation_timeout(WAIT_MS)
            if init_script:
                context.add_init_script(init_script)
            page = context.new_page()
            opened = Visit(page, context)
            page.on("request", lambda request, o=opened: o.requests.append(request))
            opened.response = page.goto(url, wait_until="networkidle")
            if not any(NETWORK_CHANGED in (r.failure or "") for r in opened.requests):
                break
        return opened

    yield open_page
    for context in contexts:
        context.close()


class Metrics:
    """Numbers measured by the site checks, written to artifacts/site-metrics.json."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def record(self, name: str, value: Any) -> None:
        self.values[name] = value

    def save(self) -> None:
        if not self.values:
            return
        METRICS.parent.mkdir(parents=True, exist_ok=True)
        METRICS.write_text(json.dumps(self.values, indent=2) + "\n")


_METRICS = Metrics()


@pytest.fixture(scope="session")
def metrics() -> Iterator[Metrics]:
    yield _METRICS
    _METRICS.save()


_TAKEN: list[Path] = []


@pytest.fixture(scope="session")
def screenshots() -> Iterator[Path]:
    """The folder for screenshots; the session names it at the end."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    yield SCREENSHOTS
    _TAKEN.extend(p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= started)


def pytest_report_header() -> list[str]:
    return [f"site checks: {SITE} in {CHROMIUM}; screenshots go to {SCREENSHOTS}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TAKEN:
        names = ", ".join(p.name for p in sorted(_TAKEN))
        terminalreporter.write_sep("-", f"screenshots in {SCREENSHOTS}: {names}")
    for name, value in _METRICS.values.items():
        terminalreporter.write_line(f"{name}: {json.dumps(value)}")
