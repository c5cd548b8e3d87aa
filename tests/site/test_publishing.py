"""What depends on where the site is published (mkdocs.yml reads it from the environment):

- the 404 page, which GitHub Pages shows for any missing path at any depth, is styled and
  links home, under the site's own address and under another path (SITE_URL);
- the repository link and the edit and view buttons appear when REPO_URL and EDIT_URI are set,
  pointing at the page's source, and not at all when they are not;
- the verification report is left out of the search index (its front matter): search finds
  each claim on its page instead.

The other builds are made here from mkdocs.yml and the current report, beside site/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from site_helpers import SITE, SiteServer, build, html_pages, page_file

REPOSITORY = "https://github.com/example/images-vs-containers"
SOURCE_PAGE = "containers/writable-layer/"
MISSING = "no/such/page/at/any/depth/"


@pytest.fixture(scope="module")
def repository_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with a repository configured, as CI builds it."""
    folder = tmp_path_factory.mktemp("repository") / "site"
    return build(folder, REPO_URL=REPOSITORY, EDIT_URI="edit/main/docs/")


@pytest.mark.parametrize("served", ["site", "prefixed_site"])
def test_a_missing_page_shows_the_styled_404_page_that_links_home(request, visit, served):
    server: SiteServer = request.getfixturevalue(served)
    opened = visit(server.url + MISSING)
    page = opened.page
    assert opened.response is not None
    assert opened.response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    failed = [
        f"{r.url}: {r.response().status if r.response() else r.failure}"
        for r in opened.requests
        if r.url != server.url + MISSING and (not r.response() or r.response().status >= 400)
    ]
    assert not failed, f"the 404 page's assets did not load: {failed}"
    stylesheets = [r for r in opened.requests if r.resource_type == "stylesheet"]
    assert stylesheets, "the 404 page loaded no stylesheet"
    header = page.locator(".md-header")
    assert header.evaluate("e => getComputedStyle(e).position") == "sticky", "unstyled"
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"(index\.html)?$"))
    expect(page.locator("h1").first).not_to_have_text("Page not found")


def edit_buttons(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" title="[^"]*" class="md-content__button', html)


def repository_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)" title="[^"]*" class="md-source"', html)


def test_repository_links_point_to_the_page_source_when_configured(repository_site):
    html = page_file(SOURCE_PAGE, repository_site).read_text(encoding="utf-8")
    source = "main/docs/containers/writable-layer.md"
    assert edit_buttons(html) == [f"{REPOSITORY}/edit/{source}", f"{REPOSITORY}/raw/{source}"]
    assert set(repository_links(html)) == {REPOSITORY}


def test_no_repository_links_when_not_configured(prefixed_site):
    pages = html_pages(prefixed_site.root)
    assert len(pages) > 5
    shown = [
        page
        for page in pages
        if edit_buttons(text := page_file(page, prefixed_site.root).read_text(encoding="utf-8"))
        or repository_links(text)
        or 'class="md-source' in text
    ]
    assert not shown, f"repository links without a repository on {shown}"


def test_site_has_repository_links_on_every_page_or_on_none():
    """site/ is built as its builder's environment says: either way, consistently."""
    pages = set(html_pages())
    with_links = {p for p in pages if repository_links(page_file(p).read_text(encoding="utf-8"))}
    assert with_links in (set(), pages)


def test_verification_report_is_not_in_the_search_index():
    index = json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {entry["location"].split("#")[0] for entry in index["docs"]}
    assert "verification/" in html_pages(), "no verification page was built"
    assert SOURCE_PAGE in locations, "the search index lacks the pages it should have"
    assert not [loc for loc in locations if loc.startswith("verification/")]
