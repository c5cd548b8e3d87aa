"""What a reader does in the browser: search, copy code, switch tabs, toggle the palette,
follow a claim to its proof, see a diagram. Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect
from site_helpers import NARROW, SITE, html_pages, page_file

CLAIM_PAGE = "containers/writable-layer/"
CONTRIBUTING = "contributing/"  # has a Mermaid diagram and code annotations
MERMAID = "javascripts/mermaid/mermaid.min.js"
CODE_BLOCK = ".md-content pre:has(> code)"
COPY_BUTTON = 'button[data-md-type="copy"], button.md-clipboard'  # Material 9.8, earlier


def page_title(path: str) -> str:
    html = (SITE / path / "index.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL)
    assert heading, f"{path} has no <h1>"
    text = re.sub(r'<a class="headerlink".*?</a>', "", heading[1], flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def pages_with_tabs() -> list[str]:
    return sorted(
        p.parent.relative_to(SITE).as_posix() + "/"
        for p in SITE.rglob("index.html")
        if 'class="tabbed-set' in p.read_text(encoding="utf-8")
    )


def test_search_finds_a_page_by_a_term_from_it(visit):
    term = page_title(CLAIM_PAGE)
    home = visit("").page
    search = home.locator("input.md-search__input")
    search.click()
    search.press_sequentially(term)
    result = home.locator(f'.md-search-result__item > a[href*="/{CLAIM_PAGE}"]').first
    expect(result).to_be_visible()
    result.click()
    expect(home).to_have_url(re.compile(re.escape(CLAIM_PAGE) + r"(\?h=.*)?$"))


def test_every_code_block_has_a_copy_button(visit):
    """What it copies: tests/site/test_code_blocks.py."""
    page = visit(CLAIM_PAGE).page
    blocks = page.locator(CODE_BLOCK)
    assert blocks.count() > 0
    for index in range(blocks.count()):
        expect(blocks.nth(index).locator(COPY_BUTTON)).to_have_count(1)


def test_linked_content_tabs_switch_together_and_across_pages(visit):
    pages = pages_with_tabs()
    assert pages, "no page of the site has content tabs"
    first = visit(pages[0]).page
    labels = first.locator(".tabbed-set .tabbed-labels > label")
    second_label = labels.nth(1).inner_text()
    same = first.locator(".tabbed-set .tabbed-labels > label", has_text=second_label)
    labels.nth(1).click()
    for index in range(same.count()):
        target = same.nth(index).get_attribute("for")
        expect(first.locator(f'input[id="{target}"]')).to_be_checked()
    panel = first.locator(".tabbed-set").first.locator(".tabbed-block").nth(1)
    expect(panel).to_be_visible()
    expect(first.locator(".tabbed-set").first.locator(".tabbed-block").first).to_be_hidden()
    # Linked across the site: the choice is remembered on another page with the same tab.
    others = [p for p in pages[1:] if second_label in (SITE / p / "index.html").read_text()]
    if others:
        first.goto(first.url.replace(pages[0], others[0]), wait_until="networkidle")
        chosen = first.locator(".tabbed-set .tabbed-labels > label", has_text=second_label)
        expect(first.locator(f'input[id="{chosen.first.get_attribute("for")}"]')).to_be_checked()


def test_palette_toggle_switches_light_and_dark_and_is_remembered(visit):
    opened = visit("", palette="light")
    page = opened.page
    assert opened.scheme == "default"
    toggle = page.locator('[data-md-component="palette"] label:not([hidden])')
    seen = [opened.scheme]
    for _ in range(3):  # system -> light -> dark -> system
        toggle.click()
        seen.append(opened.scheme)
        if opened.scheme == "slate":
            break
    assert seen[-1] == "slate", f"the toggle never reached the dark palette: {seen}"
    page.reload(wait_until="networkidle")
    assert opened.scheme == "slate", "the chosen palette is forgotten on reload"
    toggle.click()
    assert opened.scheme == "default"


def test_claim_badge_leads_to_its_verification_entry_and_back(visit):
    page = visit(CLAIM_PAGE).page
    badge = page.locator("a.claim-badge").first
    claim = badge.get_attribute("href").rsplit("#", 1)[1]
    # At the middle of the badge, where a reader clicks: Playwright's own aim, the first piece
    # of the link's text, is the 1 px before its screen-reader text.
    box = badge.bounding_box()
    badge.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(page).to_have_url(re.compile(rf"/verification/#{re.escape(claim)}$"))
    entry = page.locator(f'[id="{claim}"]')
    expect(entry).to_be_in_viewport()
    expect(entry).to_have_class(re.compile(r"--(verified|failing|unverified|stale)\b"))
    entry.locator(f'a[href$="#{claim}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/{re.escape(CLAIM_PAGE)}#{re.escape(claim)}$"))
    expect(page.locator(f'[id="{claim}"]')).to_be_in_viewport()


class ClaimIds(HTMLParser):
    """The IDs of the claims on a page, and of the entries of the verification report."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if {"claim", "report-claim"} & set(classes) and attributes.get("id"):
            self.ids.append(attributes["id"] or "")


def claim_ids(path: str) -> list[str]:
    parser = ClaimIds()
    parser.feed((SITE / path / "index.html").read_text(encoding="utf-8"))
    return parser.ids


HIGHLIGHT_JS = """([target, other]) => {
  const style = (id) => getComputedStyle(document.getElementById(id));
  const look = (s) => [s.backgroundColor, s.boxShadow, s.outlineStyle].join(" ");
  return {
    matches: document.getElementById(target).matches(":target"),
    target: look(style(target)),
    other: look(style(other)),
  };
}"""


@pytest.mark.parametrize("path", [CLAIM_PAGE, "verification/"])
def test_claim_permalink_highlights_the_claim(visit, path):
    """A link to page#claim-id lands on the claim and marks it (docs/stylesheets/claims.css)."""
    ids = claim_ids(path)
    assert len(ids) >= 2, f"{path} has fewer than two claims"
    page = visit(f"{path}#{ids[1]}").page
    claim = page.locator(f'[id="{ids[1]}"]')
    expect(claim).to_be_in_viewport()
    seen = page.evaluate(HIGHLIGHT_JS, [ids[1], ids[0]])
    assert seen["matches"], f"#{ids[1]} is not the :target"
    assert seen["target"] != seen["other"], f"the targeted claim looks like any other: {seen}"


def test_mermaid_diagram_renders_from_this_site_and_only_where_needed(visit, site):
    opened = visit(CONTRIBUTING)
    diagram = opened.page.locator(".md-content div.mermaid").first
    expect(diagram).to_be_visible()
    assert diagram.bounding_box()["height"] > 50
    expect(opened.page.locator(".md-content pre.mermaid")).to_have_count(0)
    loaded = [r.url for r in opened.requests if r.url.endswith(MERMAID)]
    assert loaded == [site.url + MERMAID]
    plain = next(p for p in html_pages() if p not in pages_with_diagrams() and p != "404.html")
    assert not [r.url for r in visit(plain).requests if "mermaid.min.js" in r.url], plain


def test_code_annotation_opens_its_note(visit):
    page = visit(CONTRIBUTING).page
    marker = page.locator(".md-content .md-annotation__index").first
    marker.click()
    note = page.locator(".md-content .md-annotation .md-tooltip__inner").first
    expect(note).to_be_visible()
    expect(note).not_to_be_empty()
    expect(marker).to_have_attribute("aria-label", "Note 1")  # docs/javascripts/accessibility.js


# Material draws each diagram in a closed shadow root; the checks open it to measure.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (options) {
  return attach.call(this, { ...options, mode: "open" });
};
"""
# For each diagram: its scale (drawn width to shown width) and the labels whose text overlaps.
DIAGRAMS_JS = """() => [...document.querySelectorAll(".md-content div.mermaid")].map((host) => {
  const svg = host.shadowRoot.querySelector("svg");
  const boxes = [];
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width && box.height) boxes.push({ text: node.data.trim(), box });
  }
  const overlaps = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    const x = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
    const y = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
    if (x > 2 && y > 2) overlaps.push(`${a.text} / ${b.text}`);
  }));
  return {
    scale: svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
    overlaps,
  };
})"""


def pages_with_diagrams() -> list[str]:
    return [p for p in html_pages() if '<pre class="mermaid">' in page_file(p).read_text()]


@pytest.mark.parametrize("path", pages_with_diagrams() or ["no diagram"])
def test_diagrams_are_legible_on_a_phone(visit, path):
    """At 390 px a diagram is shown at three quarters of its drawn size or more (its 16 px
    labels at 12 px or more; a wider one scrolls sideways), and no two labels overlap."""
    page = visit(path, width=NARROW, init_script=OPEN_SHADOW_ROOTS).page
    expect(page.locator(".md-content div.mermaid").first).to_be_attached()
    diagrams = page.evaluate(DIAGRAMS_JS)
    assert diagrams, f"no diagram rendered on {path}"
    for number, diagram in enumerate(diagrams, start=1):
        assert diagram["scale"] >= 0.74, f"diagram {number} shown at {diagram['scale']:.2f}"
        assert not diagram["overlaps"], f"diagram {number}: labels overlap: {diagram['overlaps']}"


def test_the_cheat_sheet_prints_on_one_a4_page(visit):
    page = visit("cheat-sheet/").page
    pdf = page.pdf(format="A4", print_background=False)  # the print stylesheet's own margins
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages == 1, f"the cheat sheet prints on {pages} A4 pages"
