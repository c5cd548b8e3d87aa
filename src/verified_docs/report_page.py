"""The generated pages: the verification report (`[[verification-report]]`) and the claims
that differ between engines (`[[engine-differences]]`).

The report lists the claims in the site's reading order (mkdocs.yml's nav), under their page's
title: each claim as its sentence, its status on each engine, the tests that prove it and,
folded, the real output of the snippet sections that bind it. It reads on a phone: lists, no
wide tables, long lines wrap. Captured output is always escaped.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import TYPE_CHECKING

from markdown import Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.util import AtomicString

from verified_docs.document import CLAIM, LINK, VARIANT, Claim, Page, Section, Snippet
from verified_docs.real_output import engine_label, engine_order, shell_lines
from verified_docs.report import STATUSES, Record, StepOutput, claim_status

if TYPE_CHECKING:
    from verified_docs.extension import ClaimsExtension, SiteState

REPORT_MARKER = "[[verification-report]]"
DIFFERENCES_MARKER = "[[engine-differences]]"
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
OPENER = re.compile(r"^\s*(?:!!!|\?\?\?|===)")  # an admonition's, details' or tab's first line
NAV_PAGE = re.compile(r"^\s*-\s+(?:[^:]+:\s+)?(?P<page>[^\s:]+\.md)\s*$")
NOT_SEARCHED = {"data_search_exclude": ""}  # search finds a claim on its own page instead
SYMBOL: dict[str, str] = {
    "verified": "✓",
    "failing": "✗",
    "stale": "↻",
    "unverified": "?",
    "not claimed": "○",
}


def nav_order(nav_file: Path, pages: list[str]) -> list[str]:
    """The pages in the order of the `nav:` of mkdocs.yml (read as lines: it holds tags that
    only MkDocs resolves), then the pages it does not list."""
    listed: list[str] = []
    if nav_file.is_file():
        in_nav = False
        for line in nav_file.read_text(encoding="utf-8").splitlines():
            if re.match(r"^nav:", line):
                in_nav = True
            elif in_nav and line and not line[0].isspace():
                break
            elif in_nav and (match := NAV_PAGE.match(line)) and match["page"] in pages:
                listed.append(match["page"])
    return listed + sorted(set(pages) - set(listed))


def claim_sentence(page: Page, claim: Claim) -> str:
    """The Markdown of the claim's statement: its paragraph, or its item of a list."""
    start = claim.line - 1
    while (
        start > 0
        and not LIST_ITEM.match(page.lines[start])
        and page.lines[start - 1].strip()
        and not OPENER.match(page.lines[start - 1])
    ):
        start -= 1
    lines = [CLAIM.sub("", line).strip() for line in page.lines[start : claim.line]]
    return LIST_ITEM.sub("", " ".join(line for line in lines if line), count=1)


def rebase_links(text: str, page: str, to_page: str) -> str:
    """The Markdown `text` of `page` with its relative links made relative to `to_page`."""

    def rebase(target: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/", target):
            return target
        path, _, anchor = target.partition("#")
        resolved = (
            posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
        )
        start = posixpath.dirname(to_page) or "."
        return posixpath.relpath(resolved, start) + (f"#{anchor}" if anchor else "")

    return LINK.sub(lambda m: f"]({rebase(m['target'])})", text)


def _add(parent: etree.Element, tag: str, text: str = "", **attrs: str) -> etree.Element:
    names = {k: k.rstrip("_").replace("_", "-") for k in attrs}  # class_ -> class, aria_x -> aria-x
    element = etree.SubElement(parent, tag, {names[k]: v for k, v in attrs.items()})
    element.text = AtomicString(text)  # plain text: never parsed as Markdown or HTML
    return element


def _hidden(parent: etree.Element, text: str) -> etree.Element:
    """Text for screen readers only."""
    return _add(parent, "span", text, class_="sr-only")


def status_label(status: str) -> str:
    return {"not claimed": "not claimed here"}.get(status, status)


class VerificationReport(BlockProcessor):
    """Replace the `[[verification-report]]` paragraph with the report itself."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(md.parser)
        self.ext = ext

    def test(self, parent: etree.Element, block: str) -> bool:
        return block.strip() == REPORT_MARKER

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        blocks.pop(0)
        state = self.ext.state()
        problems = self.ext.problems(state)
        render_report(parent, state, problems, self.ext)
        self.ext.fail_if_publishing(f"docs/{self.ext.verification_page}", problems)


def render_report(
    parent: etree.Element, state: SiteState, problems: list[str], ext: ClaimsExtension
) -> None:
    """Problems, where and when the claims were proven, the counts, then every claim by page."""
    for problem in problems:
        _add(_add(parent, "div", class_="admonition failure"), "p", problem)
    render_provenance(parent, state)

    counts: dict[str, int] = {}
    for claim_id in state.claims:
        status = state.status(claim_id)
        counts[status] = counts.get(status, 0) + 1
    _add(
        parent,
        "p",
        f"{len(state.claims)} claims: "
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
        + ".",
        class_="report-counts",
    )

    _add(parent, "h2", "Claims by page", id="claims-by-page")
    pages = [p for p in state.guide.pages if state.guide.pages[p].claims]
    for page_path in nav_order(ext.nav_file, pages):
        page = state.guide.pages[page_path]
        heading = _add(parent, "h3", id=f"report-{page_slug(page_path)}")
        _add(heading, "a", page.title, href=ext.link_from_report(page_path))
        claims = _add(parent, "ol", class_="report-claims")
        for claim in page.claims:
            render_claim(claims, state, claim, ext)


def page_slug(page: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", page.removesuffix(".md").lower()).strip("-")


def render_provenance(parent: etree.Element, state: SiteState) -> None:
    """Where and when: each engine, the run, the base images and the measurements."""
    report = state.report
    if report is None:
        _add(parent, "p", "No verification report yet: run `nox -s verify`.")
        return
    _add(parent, "h2", "Where and when the claims were proven", id="report-provenance")
    facts = _add(parent, "ul", class_="report-facts")
    for name, engine in sorted(report["engines"].items(), key=lambda e: engine_order(e[0])):
        item = _add(facts, "li")
        _add(item, "strong", f"Engine {name}: ")
        _add(
            item,
            "span",
            f"Docker Engine {engine['version']} (API {engine['api_version']}), "
            f"{engine.get('image_store', 'classic')} image store, "
            f"{engine['storage_driver']} storage driver, cgroup v{engine['cgroup']}; "
            f"{engine['operating_system']}, {engine['os_arch']}, kernel {engine['kernel']}"
            + (
                " (an extra column: its results don't gate)"
                if engine.get("role") == "extra"
                else ""
            ),
        )
    item = _add(facts, "li")
    _add(item, "strong", "Run: ")
    _add(
        item,
        "span",
        f"{report['generated_at']}, commit {report['git_commit'][:12]}"
        + (" with local changes" if report["git_dirty"] else ""),
    )
    for name, info in sorted(report["base_images"].items()):
        item = _add(facts, "li")
        _add(item, "strong", f"Base image {name}: ")
        _add(item, "span", f"{info['obtained']}; image {info['id'][:19]}")
    for name, measured in sorted(report["measurements"].items()):
        item = _add(facts, "li")
        _add(item, "strong", f"Measured {name}: ")
        _add(item, "span", f"{measured['value']:g} {measured['unit']}, by ")
        _add(item, "code", measured["test"])


def render_claim(
    parent: etree.Element, state: SiteState, claim: Claim, ext: ClaimsExtension
) -> None:
    """One claim: its sentence, its status per engine, its tests, its evidence folded."""
    status = state.status(claim.id)
    item = _add(parent, "li", id=claim.id, class_=f"report-claim report-claim--{status}")
    sentence = _add(item, "p", class_="report-claim__text")
    # Not an AtomicString: the sentence's own Markdown (code, links) is rendered.
    page = state.guide.pages[claim.page]
    sentence.text = rebase_links(claim_sentence(page, claim), claim.page, ext.verification_page)
    sentence.text += " "
    _add(
        sentence,
        "a",
        "on its page",
        href=ext.link_from_report(claim.page, claim.id),
        class_="report-claim__back",
    )
    render_engines(item, state, claim)
    render_evidence(item, state, claim, ext)


def engine_statuses(state: SiteState, claim: Claim) -> dict[str, str]:
    """Every engine of the report, with the claim's status there (`not claimed` outside its
    scope)."""
    if state.report is None:
        return {}
    report = state.report
    return {  # an extra engine (a CI runner's own) doesn't gate, but it did run
        engine: claim_status(report, claim.id, engine, state.digest)
        if claim.in_scope(engine)
        else "not claimed"
        for engine in sorted(report["engines"], key=engine_order)
    }


def render_engines(parent: etree.Element, state: SiteState, claim: Claim) -> None:
    row = _add(parent, "ul", class_="report-engines")
    for engine, status in engine_statuses(state, claim).items():
        cell = _add(row, "li", class_=f"report-engine report-engine--{status.replace(' ', '-')}")
        _add(cell, "span", SYMBOL[status], aria_hidden="true")
        cell[-1].tail = AtomicString(f" {engine}")
        _hidden(cell, f": {status_label(status)}")
        cell.set("title", f"{engine}: {status_label(status)}")


def render_tests(parent: etree.Element, records: list[Record], engines: list[str]) -> None:
    """Each test with its outcome on each engine, in one line."""
    by_test: dict[str, list[Record]] = {}
    for record in records:
        by_test.setdefault(record["nodeid"], []).append(record)
    tests = _add(parent, "ul", class_="report-tests")
    if not by_test:
        _add(tests, "li", "No test ran.")
    for nodeid, runs in by_test.items():
        line = _add(tests, "li")
        _add(line, "code", nodeid)
        outcomes: dict[str, list[str]] = {}
        for run in sorted(runs, key=lambda r: engine_order(r["engine"])):
            outcomes.setdefault(run["outcome"], []).append(run["engine"])
        seconds = sorted(f"{run['duration']:.1f}" for run in runs)
        where = [
            f"{outcome} on all {len(names)} engines"
            if sorted(names) == sorted(engines) and len(names) > 1
            else f"{outcome} on {', '.join(names)}"
            for outcome, names in outcomes.items()
        ]
        took = seconds[0] if seconds[0] == seconds[-1] else f"{seconds[0]} to {seconds[-1]}"
        _add(line, "span", f": {'; '.join(where)}, in {took} s")


def render_evidence(
    parent: etree.Element, state: SiteState, claim: Claim, ext: ClaimsExtension
) -> None:
    """Folded: the tests, the real output of each snippet section that binds the claim on the
    first engine of its scope that ran it, and what hand-written tests recorded there."""
    records = state.records(claim.id)
    shown: list[tuple[str, str]] = []  # (label, text)
    facts = state.report["engines"] if state.report else {}
    in_scope = sorted(
        {r["engine"] for r in records if claim.in_scope(r["engine"])}, key=engine_order
    )
    for snippet, section in binding_sections(state, claim.id):
        for engine in in_scope:
            steps = section_steps(records, engine, snippet, section)
            if steps is not None:
                label = (
                    f"{snippet.path} ({section.name}) on {engine_label(engine, facts.get(engine))}:"
                )
                shown.append((label, "\n".join(shell_lines(steps))))
                break
    for record in records:
        if in_scope and record["engine"] == in_scope[0]:
            shown += [
                (f"{item['label']} ({record['nodeid']}) on {record['engine']}:", item["text"])
                for item in record["evidence"]
                if "steps" not in item
            ]
    tests = len({record["nodeid"] for record in records})
    details = _add(parent, "details", class_="report-evidence")
    summary = f"Evidence: {tests} test{'s' * (tests != 1)}"
    _add(details, "summary", summary + (", real output" if shown else ""))
    render_tests(details, records, list(facts))
    for label, text in shown:
        _add(details, "p", label, class_="report-evidence__label")
        _add(_add(details, "pre"), "code", text)
    if differs_between_engines(state, claim):
        note = _add(details, "p", "What each engine printed: ")
        _add(
            note,
            "a",
            "What changes between engines",
            href=ext.link_from_report(ext.differences_page, f"differs-{claim.id}"),
        )


def differs_between_engines(state: SiteState, claim: Claim) -> bool:
    """Whether the claim is scoped, has another status on some engine, or binds commands
    whose output differs between engines: the claims the engine differences page lists."""
    if state.report is None:
        return False
    statuses = engine_statuses(state, claim)
    return bool(
        claim.engines or len(set(statuses.values())) > 1 or differing_steps(state, claim.id)
    )


def binding_sections(state: SiteState, claim_id: str) -> list[tuple[Snippet, Section]]:
    return [
        (snippet, section)
        for snippet in state.guide.runnable
        for section in snippet.sections
        if claim_id in section.claims
    ]


def section_steps(
    records: list[Record], engine: str, snippet: Snippet, section: Section
) -> list[StepOutput] | None:
    """What the section's commands printed in the engine's record of the snippet."""
    for record in records:
        if record["engine"] != engine:
            continue
        for item in record["evidence"]:
            if item["label"] == snippet.path and "steps" in item:
                return [s for s in item["steps"] if section.start < s["line"] < section.end]
    return None


class EngineDifferences(BlockProcessor):
    """Replace the `[[engine-differences]]` paragraph with the claims whose results or output
    differ between engines, each with the real output of every engine where it differs."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(md.parser)
        self.ext = ext

    def test(self, parent: etree.Element, block: str) -> bool:
        return block.strip() == DIFFERENCES_MARKER

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        blocks.pop(0)
        state = self.ext.state()
        if state.report is None:
            _add(parent, "p", "No verification report yet: run `nox -s verify`.")
            return
        facts = state.report["engines"]
        listed = 0
        page_dir = posixpath.dirname(self.ext.differences_page) or "."
        for page_path in nav_order(self.ext.nav_file, list(state.guide.pages)):
            page = state.guide.pages[page_path]
            heading: etree.Element | None = None
            for claim in page.claims:
                if not differs_between_engines(state, claim):
                    continue
                steps = differing_steps(state, claim.id)
                listed += 1
                if heading is None:
                    heading = _add(
                        parent, "h2", id=f"differs-on-{page_slug(page_path)}", **NOT_SEARCHED
                    )
                    _add(heading, "a", page.title, href=posixpath.relpath(page_path, page_dir))
                entry = _add(
                    parent, "div", class_="report-claim", id=f"differs-{claim.id}", **NOT_SEARCHED
                )
                sentence = _add(entry, "p", class_="report-claim__text")
                # Not an AtomicString: the sentence's own Markdown (code, links) is rendered.
                text = claim_sentence(page, claim)
                sentence.text = rebase_links(text, claim.page, self.ext.differences_page)
                sentence.text += " "
                back = posixpath.relpath(claim.page, page_dir) + f"#{claim.id}"
                _add(sentence, "a", "on its page", href=back, class_="report-claim__back")
                render_engines(entry, state, claim)
                for command, outputs in steps:
                    details = _add(entry, "details", class_="report-evidence")
                    _add(_add(details, "summary"), "code", f"$ {command}")
                    for engine in sorted(outputs, key=engine_order):
                        label = engine_label(engine, facts.get(engine))
                        _add(details, "p", label, class_="report-evidence__label")
                        _add(_add(details, "pre"), "code", "\n".join(outputs[engine]))
        _add(parent, "p", f"{listed} claims differ between the engines of this report.")


def differing_steps(state: SiteState, claim_id: str) -> list[tuple[str, dict[str, list[str]]]]:
    """Commands, in the sections that bind the claim, whose expected output differs between
    engines (`[on NAME]`), with what each engine really printed."""
    found: list[tuple[str, dict[str, list[str]]]] = []
    assert state.report is not None
    for snippet, section in binding_sections(state, claim_id):
        if not section_has_variants(snippet, section):
            continue
        outputs: dict[int, dict[str, list[str]]] = {}
        commands: dict[int, str] = {}
        for record in state.report["records"]:
            for item in record["evidence"]:
                if item["label"] != snippet.path:
                    continue
                for step in item.get("steps", []):
                    if section.start < step["line"] < section.end:
                        commands[step["line"]] = step["command"]
                        outputs.setdefault(step["line"], {})[record["engine"]] = step["output"]
        for line in sorted(outputs):
            if variant_after(snippet, line):
                found.append((commands[line], outputs[line]))
    return found


def section_has_variants(snippet: Snippet, section: Section) -> bool:
    return any(
        VARIANT.match(line.strip().removeprefix("# > "))
        for line in snippet.lines[section.start : section.end]
    )


def variant_after(snippet: Snippet, line: int) -> bool:
    """Whether the step at `line` (a transcript's command; a Python script's one run) has
    an `[on NAME]` block before the next command."""
    for text in snippet.lines[line:]:
        stripped = text.strip().removeprefix("# > ")
        if snippet.kind == "transcript" and text.startswith("$ "):
            return False
        if VARIANT.match(stripped):
            return True
    return False
