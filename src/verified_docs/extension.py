"""Python-Markdown extension: show each claim's status and the verification report.

It runs under `mkdocs build` and `zensical build` alike (no MkDocs plugin or hook):

- every element carrying `{ .claim #id }` gets a status badge linking to the claim's entry
  on the verification page, and each page with claims gets a provenance line;
- `[[measured:name]]` shows a number measured by the verification run (e.g. a start time);
- a paragraph `[[verification-report]]` becomes the report: provenance, then every claim with
  its tests, timings and captured output (always escaped);
- in publish mode (`publish: true` or VERIFIED_DOCS_PUBLISH=1) the page fails to build when a
  claim is not verified, when the report is missing or was made from other inputs, or when the
  report proves a claim no page makes.
"""

from __future__ import annotations

import logging
import os
import posixpath
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from verified_docs.claims import Claim, collect_claims
from verified_docs.inputs import inputs_digest
from verified_docs.report import ClaimResult, Report, Status, load_report

log = logging.getLogger("mkdocs.verified_docs")

REPORT_MARKER = "[[verification-report]]"
MEASURED = r"\[\[measured:(?P<name>[a-z0-9][a-z0-9-]*)\]\]"
BADGE_TEXT: dict[str, str] = {
    "verified": "✓ verified",
    "failing": "✗ failing",
    "unverified": "? unverified",
}


try:  # Under MkDocs, a BuildError ends the build with its message and no traceback.
    from mkdocs.exceptions import BuildError as _BuildFailure
except ImportError:  # pragma: no cover - other builders (Zensical) just see an exception
    _BuildFailure = RuntimeError  # type: ignore[misc,assignment]


class ClaimsNotVerified(_BuildFailure):
    """Raised in publish mode so that the page, and the build, fail."""


@dataclass(frozen=True)
class SiteState:
    claims: dict[str, Claim]
    report: Report | None
    current_digest: str
    problems: tuple[str, ...] = field(default=())

    @property
    def stale(self) -> bool:
        return self.report is not None and self.report["inputs_digest"] != self.current_digest

    def result(self, claim_id: str) -> ClaimResult | None:
        return self.report["claims"].get(claim_id) if self.report else None

    def status(self, claim_id: str) -> Status:
        result = self.result(claim_id)
        return result["status"] if result else "unverified"

    def provenance(self) -> str:
        if self.report is None:
            return "No verification report yet: run `nox -s verify`."
        engine = self.report["engine"]
        text = (
            f"Claims verified on Docker Engine {engine['version']} ({engine['os_arch']}), "
            f"{self.report['generated_at'][:10]}, commit {self.report['git_commit'][:12]}"
        )
        if self.stale:
            text += " — the pages or snippets have changed since"
        return text + "."


def _tree_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for tree in ("docs", "snippets")
        for p in sorted((root / tree).rglob("*"))
        if p.is_file()
    )


@lru_cache(maxsize=4)
def _load_state(
    docs_dir: Path, report_path: Path, signature: tuple[Any, ...], report_mtime: int
) -> SiteState:
    del signature, report_mtime  # cache keys only
    return SiteState(
        claims=collect_claims(docs_dir),
        report=load_report(report_path),
        current_digest=inputs_digest(docs_dir.parent),
    )


def site_state(docs_dir: Path, report_path: Path) -> SiteState:
    mtime = report_path.stat().st_mtime_ns if report_path.exists() else 0
    return _load_state(docs_dir, report_path, _tree_signature(docs_dir.parent), mtime)


def report_problems(state: SiteState) -> list[str]:
    """Problems with the report as a whole, independent of any one page."""
    if state.report is None:
        return ["there is no verification report: run `nox -s verify` first"]
    problems = []
    if state.stale:
        problems.append(
            "the verification report was made from other docs or snippets than the current "
            "ones: run `nox -s verify` again"
        )
    for claim_id in sorted(set(state.report["claims"]) - set(state.claims)):
        problems.append(f"the report proves claim {claim_id!r}, which no page makes")
    return problems


class ClaimBadges(Treeprocessor):
    """Badge every `.claim` element; add the provenance line to pages with claims."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: etree.Element) -> None:
        state = self.ext.state()
        seen: list[str] = []
        problems: list[str] = []
        for element in root.iter():
            if "claim" not in element.get("class", "").split():
                continue
            claim_id = element.get("id", "")
            claim = state.claims.get(claim_id)
            if claim is None:
                problems.append(f"element with class 'claim' has unknown id {claim_id!r}")
                continue
            seen.append(claim_id)
            status = state.status(claim_id)
            if status != "verified":
                problems.append(f"claim {claim_id!r} at {claim.location} is {status}")
            element.append(self.ext.badge(claim, status, state))
        if not seen:
            return
        page = state.claims[seen[0]].page
        provenance = etree.SubElement(root, "p", {"class": "claims-provenance"})
        provenance.text = state.provenance() + " "
        link = etree.SubElement(
            provenance, "a", {"href": self.ext.link_to_report(page, "how-this-site-is-verified")}
        )
        link.text = "How this site is verified"
        problems += report_problems(state)
        self.ext.fail_if_publishing(f"docs/{page}", problems)


class MeasuredValue(InlineProcessor):
    """`[[measured:container-start]]` -> the value the verification run measured."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(MEASURED, md)
        self.ext = ext

    def handleMatch(  # noqa: N802 (Python-Markdown API)
        self, m: Any, data: str
    ) -> tuple[etree.Element, int, int]:
        name = m["name"]
        state = self.ext.state()
        measured = (state.report or {}).get("measurements", {}).get(name)
        element = etree.Element("span", {"class": "measured", "id": f"measured-{name}"})
        if measured is None:
            element.text = f"[not measured: {name}]"
            self.ext.fail_if_publishing(
                "measurement", [f"no measurement {name!r} in the report: run `nox -s verify`"]
            )
        else:
            element.text = f"{measured['value']:g} {measured['unit']}"
            element.set("title", f"Measured by {measured['test']}. {state.provenance()}")
        return element, m.start(0), m.end(0)


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
        problems = report_problems(state)
        render_report(parent, state, problems, self.ext)
        self.ext.fail_if_publishing(f"docs/{self.ext.verification_page}", problems)


def _add(parent: etree.Element, tag: str, text: str = "", **attrs: str) -> etree.Element:
    element = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    element.text = AtomicString(text)  # plain text: never parsed as Markdown or HTML
    return element


def _table(parent: etree.Element, header: list[str]) -> etree.Element:
    table = _add(parent, "table")
    row = _add(_add(table, "thead"), "tr")
    for title in header:
        _add(row, "th", title)
    return _add(table, "tbody")


def render_report(
    parent: etree.Element, state: SiteState, problems: list[str], ext: ClaimsExtension
) -> None:
    """Provenance, counts, then every claim by page with tests and evidence."""
    for problem in problems:
        _add(_add(parent, "div", class_="admonition failure"), "p", problem)
    report = state.report
    if report is not None:
        rows = _table(parent, ["Proven on", "Value"])
        engine = report["engine"]
        facts = [
            ("Docker Engine", f"{engine['version']} (API {engine['api_version']})"),
            ("Engine host", f"{engine['operating_system']}, {engine['os_arch']}"),
            ("Kernel", engine["kernel"]),
            ("Storage, cgroups", f"{engine['storage_driver']}, cgroup v{engine['cgroup']}"),
            ("Date", report["generated_at"]),
            ("Commit", report["git_commit"] + (" (with local changes)" * report["git_dirty"])),
            ("Inputs", report["inputs_digest"] + (" (stale)" * state.stale)),
        ]
        facts += [
            (f"Base image {name}", f"{info['obtained']}; image {info['id'][:19]}")
            for name, info in sorted(report["base_images"].items())
        ]
        for name, value in facts:
            row = _add(rows, "tr")
            _add(row, "td", name)
            _add(_add(row, "td"), "code", value)

    measurements = (report or {}).get("measurements", {})
    if measurements:
        rows = _table(parent, ["Measured in this run", "Value", "Test"])
        for name, measured in sorted(measurements.items()):
            row = _add(rows, "tr")
            _add(row, "td", name)
            _add(row, "td", f"{measured['value']:g} {measured['unit']}")
            _add(_add(row, "td"), "code", measured["test"])

    counts: dict[str, int] = {}
    for claim_id in state.claims:
        status = state.status(claim_id)
        counts[status] = counts.get(status, 0) + 1
    _add(
        parent,
        "p",
        f"{len(state.claims)} claims: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("verified", "failing", "unverified")),
    )

    by_page: dict[str, list[Claim]] = {}
    for claim in state.claims.values():
        by_page.setdefault(claim.page, []).append(claim)
    _add(parent, "h2", "Claims by page", id="claims-by-page")
    for page, claims in sorted(by_page.items()):
        heading = _add(parent, "h3")
        _add(heading, "a", page, href=ext.link_from_report(page))
        body = _table(parent, ["Claim", "Status", "Proved by", "Evidence"])
        for claim in claims:
            render_claim_row(body, claim, state.status(claim.id), state.result(claim.id), ext)


def render_claim_row(
    body: etree.Element,
    claim: Claim,
    status: Status,
    result: ClaimResult | None,
    ext: ClaimsExtension,
) -> None:
    row = _add(body, "tr", id=claim.id)
    _add(_add(row, "td"), "a", claim.id, href=ext.link_from_report(claim.page, claim.id))
    _add(row, "td", BADGE_TEXT[status], class_=f"claim-status claim-status--{status}")
    tests_cell = _add(row, "td")
    evidence_cell = _add(row, "td")
    if result is None:
        tests_cell.text = "no test ran"
        return
    for test in result["tests"]:
        line = _add(tests_cell, "div")
        _add(line, "code", test["nodeid"])
        _add(line, "span", f" {test['outcome']} in {test['duration']:.2f} s")
    for item in result["evidence"]:
        details = _add(evidence_cell, "details")
        _add(details, "summary", item["label"])
        _add(_add(details, "pre"), "code", item["text"])


class ClaimsExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "report": [str(Path("reports") / "verification.json"), "Verification report path"],
            "docs_dir": ["docs", "Directory of the Markdown pages"],
            "verification_page": ["verification.md", "Page that shows the report"],
            "publish": [
                False,
                "Fail on any claim that is not verified (or VERIFIED_DOCS_PUBLISH=1)",
            ],
        }
        super().__init__(**kwargs)

    @property
    def verification_page(self) -> str:
        return self.getConfig("verification_page")

    @property
    def publishing(self) -> bool:
        return bool(self.getConfig("publish")) or os.environ.get("VERIFIED_DOCS_PUBLISH") == "1"

    def state(self) -> SiteState:
        docs_dir = Path(self.getConfig("docs_dir")).resolve()
        return site_state(docs_dir, Path(self.getConfig("report")).resolve())

    def link_to_report(self, page: str, anchor: str) -> str:
        target = posixpath.relpath(self.verification_page, posixpath.dirname(page) or ".")
        return f"{target}#{anchor}"

    def link_from_report(self, page: str, anchor: str = "") -> str:
        start = posixpath.dirname(self.verification_page) or "."
        return posixpath.relpath(page, start) + (f"#{anchor}" if anchor else "")

    def badge(self, claim: Claim, status: Status, state: SiteState) -> etree.Element:
        badge = etree.Element(
            "a",
            {
                "class": f"claim-badge claim-badge--{status}",
                "href": self.link_to_report(claim.page, claim.id),
                "title": f"Claim {claim.id}: {status}. {state.provenance()}",
            },
        )
        badge.text = BADGE_TEXT[status]
        return badge

    def fail_if_publishing(self, where: str, problems: list[str]) -> None:
        if not problems or not self.publishing:
            return
        for problem in problems:
            log.error("%s: %s", where, problem)
        raise ClaimsNotVerified(f"{where}: " + "; ".join(problems))

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown API)
        md.parser.blockprocessors.register(VerificationReport(md, self), "verification_report", 95)
        md.inlinePatterns.register(MeasuredValue(md, self), "measured_value", 175)
        # After attr_list (priority 8), which turns `{ .claim #id }` into attributes.
        md.treeprocessors.register(ClaimBadges(md, self), "claim_badges", 5)


def makeExtension(**kwargs: Any) -> ClaimsExtension:  # noqa: N802 (Python-Markdown API)
    return ClaimsExtension(**kwargs)
