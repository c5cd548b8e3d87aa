"""The report reads in the site's order, claim by claim, with real output folded."""

from __future__ import annotations

import re
from collections import Counter

from verified_docs.document import parse_page
from verified_docs.report_page import claim_sentence, nav_order, rebase_links

from .test_extension import ENGINE, a_record, a_report, project, render, write
from .test_real_output import TRANSCRIPT, TRANSCRIPT_RUN, a_run

__all__ = ["project"]  # the fixture, shared with test_extension

NAV = """site_name: x
nav:
  - Home: index.md
  - Second:
      - Later: b.md
      - a.md
markdown_extensions:
  - toc
"""


def test_pages_come_in_the_order_of_the_nav_then_the_others(tmp_path):
    (tmp_path / "mkdocs.yml").write_text(NAV)
    pages = ["a.md", "b.md", "index.md", "z.md"]
    assert nav_order(tmp_path / "mkdocs.yml", pages) == ["index.md", "b.md", "a.md", "z.md"]
    assert nav_order(tmp_path / "missing.yml", pages) == sorted(pages)


def test_a_claim_in_a_list_is_its_item_alone():
    page = parse_page(
        "Intro:\n\n- First, `x`.\n  { .claim #first }\n- Second\n  goes on.\n"
        "  { .claim #second }\n\nA paragraph\nof two lines.\n{ .claim #third }\n\n"
        '!!! warning "A title"\n    In a box.\n    { .claim #fourth }\n',
        "p.md",
    )
    first, second, third, fourth = page.claims
    assert claim_sentence(page, first) == "First, `x`."
    assert claim_sentence(page, second) == "Second goes on."
    assert claim_sentence(page, third) == "A paragraph of two lines."
    assert claim_sentence(page, fourth) == "In a box."


def test_links_in_a_claim_lead_to_the_same_places_from_the_report():
    text = (
        "See [a](isolation.md#x), [b](#here), [c](https://example.com/a.md) and [d](../index.md)."
    )
    assert rebase_links(text, "containers/lifecycle.md", "verification.md") == (
        "See [a](containers/isolation.md#x), [b](containers/lifecycle.md#here), "
        "[c](https://example.com/a.md) and [d](index.md)."
    )


def test_the_report_lists_claims_by_page_title_with_status_per_engine(project):
    (project / "mkdocs.yml").write_text("nav:\n  - second.md\n  - page.md\n")
    (project / "docs" / "second.md").write_text(
        '# Second page\n\nOn classic, [x](page.md).\n{ .claim #scoped data-engines="20.10" }\n'
    )
    (project / "docs" / "page.md").write_text(
        "# First page\n\n" + "A tag moves.\n{ .claim #tag-moves }\n"
    )
    scoped = a_record(project, claims=("scoped",))
    scoped["nodeid"] = "tests/test_x.py::test_scoped"
    scoped["inputs"] = {}
    report = a_report(project, a_record(project), scoped)
    report["engines"]["28.5-containerd"] = ENGINE | {"image_store": "containerd"}
    write(project, report)
    html = render(project, "verification.md")
    assert html.index("Second page") < html.index("First page")
    assert '<a href="page.md">x</a>' in html  # the claim's own Markdown, its link rebased
    entry = html[html.index('id="scoped"') :]
    assert '28.5-containerd<span class="sr-only">: not claimed here</span>' in entry
    assert '20.10<span class="sr-only">: verified</span>' in entry
    assert "tests/test_x.py::test_scoped" in entry
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert not [name for name, count in ids.items() if count > 1]


def test_the_evidence_is_the_real_output_of_the_sections_that_bind_the_claim(project):
    (project / "snippets" / "t").mkdir()
    (project / "snippets" / "t" / "t.console").write_text(TRANSCRIPT)
    page = (project / "docs" / "page.md").read_text()
    (project / "docs" / "page.md").write_text(
        page + '\n```console\n--8<-- "snippets/t/t.console:s"\n```\n'
    )
    write(project, a_report(project, a_run(project, "snippets/t/t.console", TRANSCRIPT_RUN)))
    html = render(project, "verification.md")
    evidence = html[html.index('<details class="report-evidence">') :]
    assert "<summary>Evidence: 1 test, real output</summary>" in evidence
    assert "4b5c1e0d" * 8 in evidence
    assert "$ echo $?\n42" in evidence
    assert "[ID]" not in evidence
    assert "? 42" not in evidence
