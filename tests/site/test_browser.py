"""What a reader does in the browser: search, copy code, switch tabs, toggle the palette,
follow a claim to its proof, see a diagram. Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import re
from html import unescape

from playwright.sync_api import expect
from site_helpers import SITE

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


def test_every_code_block_has_a_copy_button_that_copies_it(visit):
    page = visit(CLAIM_PAGE, permissions=["clipboard-read", "clipboard-write"]).page
    blocks = page.locator(CODE_BLOCK)
    assert blocks.count() > 0
    for index in range(blocks.count()):
        expect(blocks.nth(index).locator(COPY_BUTTON)).to_have_count(1)
    block = page.locator(f"{CODE_BLOCK}:visible").first
    block.hover()
    block.locator(COPY_BUTTON).click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == block.locator("> code").text_content().strip()


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
    badge.click()
    expect(page).to_have_url(re.compile(rf"/verification/#{re.escape(claim)}$"))
    entry = page.locator(f'tr[id="{claim}"]')
    expect(entry).to_be_in_viewport()
    expect(entry.locator(".claim-status")).to_have_text(re.compile("verified|failing|unverified"))
    entry.locator("td").first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/{re.escape(CLAIM_PAGE)}#{re.escape(claim)}$"))
    expect(page.locator(f'[id="{claim}"]')).to_be_in_viewport()


def test_edit_and_repository_links_point_to_the_page_source(visit):
    page = visit(CLAIM_PAGE).page
    edit = page.locator("a.md-content__button[href*='/edit/']")
    expect(edit).to_have_attribute(
        "href", re.compile(r"/edit/main/docs/containers/writable-layer\.md$")
    )
    expect(page.locator("a.md-source").first).to_have_attribute("href", re.compile(r"^https://"))


def test_mermaid_diagram_renders_from_this_site_and_only_where_needed(visit, site):
    opened = visit(CONTRIBUTING)
    diagram = opened.page.locator(".md-content div.mermaid").first
    expect(diagram).to_be_visible()
    assert diagram.bounding_box()["height"] > 50
    expect(opened.page.locator(".md-content pre.mermaid")).to_have_count(0)
    loaded = [r.url for r in opened.requests if r.url.endswith(MERMAID)]
    assert loaded == [site.url + MERMAID]
    home = visit("")
    assert not [r.url for r in home.requests if "mermaid.min.js" in r.url]


def test_code_annotation_opens_its_note(visit):
    page = visit(CONTRIBUTING).page
    marker = page.locator(".md-content .md-annotation__index").first
    marker.click()
    note = page.locator(".md-content .md-annotation .md-tooltip__inner").first
    expect(note).to_be_visible()
    expect(note).not_to_be_empty()
    expect(marker).to_have_attribute("aria-label", "Note 1")  # docs/javascripts/accessibility.js
