"""Zensical builds the same site from the same mkdocs.yml: the same pages, the same headings,
and every claim rendered with the same status and link as under MkDocs.

Run by `nox -s zensical`, which builds both sites and names them in MKDOCS_SITE and
ZENSICAL_SITE.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest


def built(variable: str) -> Path:
    folder = os.environ.get(variable)
    if not folder or not (Path(folder) / "index.html").is_file():
        pytest.fail(f"{variable} names no built site: run `nox -s zensical`")
    return Path(folder)


@pytest.fixture(scope="module")
def mkdocs_site() -> Path:
    return built("MKDOCS_SITE")


@pytest.fixture(scope="module")
def zensical_site() -> Path:
    return built("ZENSICAL_SITE")


def pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


class Rendered(HTMLParser):
    """What a page shows of its content: heading ids, claims and their badges."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.claims: list[str] = []
        self.badges: list[tuple[str, str]] = []
        self.report_rows: list[str] = []
        self.provenance = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag in {"h2", "h3"} and attributes.get("id"):
            self.headings.append(attributes["id"] or "")
        if "claim" in classes:
            self.claims.append(attributes.get("id") or "")
        if tag == "a" and "claim-badge" in classes:
            self.badges.append((" ".join(classes), attributes.get("href") or ""))
        if tag == "tr" and attributes.get("id"):
            self.report_rows.append(attributes["id"] or "")
        if "claims-provenance" in classes:
            self.provenance += 1


def rendered(site: Path, page: str) -> Rendered:
    parser = Rendered()
    parser.feed((site / page).read_text(encoding="utf-8"))
    return parser


def test_zensical_builds_the_same_pages(mkdocs_site, zensical_site):
    assert pages(zensical_site) == pages(mkdocs_site)


def test_claims_are_rendered_on_the_same_pages_with_the_same_status(mkdocs_site, zensical_site):
    claim_pages = 0
    for page in sorted(pages(mkdocs_site)):
        expected, actual = rendered(mkdocs_site, page), rendered(zensical_site, page)
        assert actual.claims == expected.claims, page
        assert actual.badges == expected.badges, page
        assert len(actual.badges) == len(actual.claims), f"{page}: a claim without its badge"
        assert actual.provenance == expected.provenance, page
        assert actual.report_rows == expected.report_rows, page
        claim_pages += bool(expected.claims)
    assert claim_pages > 0, "no page has claims: is the site a real build?"


def test_headings_keep_their_anchors(mkdocs_site, zensical_site):
    """Links into a page (from other pages, from the report) need the same heading ids."""
    for page in sorted(pages(mkdocs_site)):
        assert rendered(zensical_site, page).headings == rendered(mkdocs_site, page).headings, page
