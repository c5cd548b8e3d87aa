"""Every internal link and anchor of the built site resolves.

linkchecker crawls the served site over HTTP and checks each link and each #anchor in it.
Code-line anchors (`#__codelineno-…`, one per line of code) are checked by the faster
crawl below instead; it also proves that the pages it reads are all the site has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from site_helpers import NO_SITE, SITE, SiteServer, base_path, serve

HERE = Path(__file__).parent
LINKCHECKER_TIMEOUT = 280  # seconds; linkchecker stops itself after 240 (linkcheckerrc)
CODE_LINE_ANCHORS = "#__codelineno-"


def linkchecker(*args: str) -> subprocess.CompletedProcess[str]:
    """The linkchecker installed beside this Python (pinned in pyproject.toml)."""
    program = shutil.which("linkchecker", path=str(Path(sys.executable).parent))
    assert program, "linkchecker is not installed: `pip install -e .[site]`"
    return subprocess.run(
        [program, "--config", str(HERE / "linkcheckerrc"), "--no-status", *args],
        capture_output=True,
        text=True,
        timeout=LINKCHECKER_TIMEOUT,
        check=False,
    )


def test_linkchecker_finds_no_broken_link_or_anchor(site: SiteServer):
    ignore = re.escape(CODE_LINE_ANCHORS.lstrip("#"))
    # 404.html is linked from no page: GitHub Pages shows it for any missing path.
    result = linkchecker("--ignore-url", ignore, site.url, site.url + "404.html")
    summary = result.stdout.strip().splitlines()[-3:]
    assert result.returncode == 0, f"linkchecker found problems:\n{result.stdout}\n{result.stderr}"
    assert any("0 errors found" in line for line in summary), result.stdout


def test_linkchecker_catches_a_missing_page_and_a_missing_anchor(tmp_path: Path):
    """The check above would pass vacuously if linkchecker skipped links or anchors."""
    (tmp_path / "index.html").write_text(
        '<html><body><h1 id="top">Home</h1>'
        '<a href="other.html#present">fine</a> <a href="other.html#absent">bad anchor</a> '
        '<a href="missing.html">bad page</a></body></html>'
    )
    (tmp_path / "other.html").write_text('<html><body><p id="present">x</p></body></html>')
    with serve(tmp_path) as fixture_site:
        result = linkchecker(fixture_site.url)
    assert result.returncode == 1, result.stdout
    assert "Anchor `absent' (decoded: `absent') not found" in result.stdout
    assert re.search(r"URL +`missing\.html'(?:.*\n)+?Result +Error: 404", result.stdout)
    assert "Anchor `present'" not in result.stdout


class LinksAndIds(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif (name == "href" and tag in {"a", "link", "area"}) or name == "src":
                self.links.append(value)


def parse(page: Path) -> LinksAndIds:
    parser = LinksAndIds()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def site_files() -> dict[str, Path]:
    """URL path (as published) -> file, for every file of the built site."""
    files = {}
    base = base_path(SITE)
    for path in SITE.rglob("*"):
        if path.is_file():
            url = base + path.relative_to(SITE).as_posix()
            files[url] = path
            if path.name == "index.html":
                files[url.removesuffix("index.html")] = path
    return files


def test_every_internal_link_and_anchor_resolves_in_the_files():
    if not (SITE / "index.html").is_file():
        pytest.fail(NO_SITE)
    files = site_files()
    pages = {url: parse(path) for url, path in files.items() if path.suffix == ".html"}
    problems = []
    checked = 0
    for url, page in pages.items():
        for link in page.links:
            target = urlsplit(urljoin("http://site" + url, link))
            if target.scheme not in {"http", "https"} or target.netloc != "site":
                continue  # another host, mailto:, data:
            checked += 1
            if target.path not in files:
                problems.append(f"{url}: {link} -> no file {target.path}")
            elif (
                target.fragment
                and target.path in pages
                and unquote(target.fragment) not in pages[target.path].ids
            ):
                problems.append(f"{url}: {link} -> no id {target.fragment!r} on the page")
    assert checked > len(pages), "the crawl found almost no links: is site/ a real build?"
    assert not problems, "\n".join(problems)
