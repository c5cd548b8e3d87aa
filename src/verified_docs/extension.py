"""Python-Markdown extension: show each claim's status, the pages' real output and the report.

It runs under `mkdocs build` and `zensical build` alike (no MkDocs plugin or hook):

- every element carrying `{ .claim #id }` gets a small marker of its status on the engines it
  is claimed for, linking to its entry on the verification page, and a permanent link; each
  page with claims gets a provenance line;
- code blocks that include a snippet the suite runs show what the verified run printed
  (real_output.py);
- `[[measured:name]]` shows a number measured by the verification run (e.g. a start time);
- a paragraph `[[verification-report]]` becomes the report, and `[[engine-differences]]` the
  claims that differ between engines (report_page.py);
- in publish mode (`publish: true` or VERIFIED_DOCS_PUBLISH=1) the page fails to build when a
  claim is not verified, when the report is missing or was made from other inputs, when the
  report proves a claim no page makes, or when a page shows a snippet with no current run.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from verified_docs.claim_checks import unbacked_numbers, unshown_proofs
from verified_docs.document import (
    DOCS,
    REPORT,
    SNIPPETS,
    TESTS,
    VARIANT,
    VERIFIER,
    Claim,
    Guide,
)
from verified_docs.real_output import RealOutput
from verified_docs.report import (
    Record,
    Report,
    Status,
    claim_status,
    gating_engines,
    load_report,
    overall_status,
    records_by_test,
    tests_naming,
)
from verified_docs.report_page import EngineDifferences, VerificationReport

log = logging.getLogger("mkdocs.verified_docs")

MEASURED = r"\[\[measured:(?P<name>[a-z0-9][a-z0-9-]*)\]\]"
SYMBOL: dict[str, str] = {"verified": "✓", "failing": "✗", "stale": "↻", "unverified": "?"}


try:  # Under MkDocs, a BuildError ends the build with its message and no traceback.
    from mkdocs.exceptions import BuildError as _BuildFailure
except ImportError:  # pragma: no cover - other builders (Zensical) just see an exception
    _BuildFailure = RuntimeError  # type: ignore[misc,assignment]


class ClaimsNotVerified(_BuildFailure):
    """Raised in publish mode so that the page, and the build, fail."""


@dataclass(frozen=True)
class SiteState:
    guide: Guide
    report: Report | None

    @property
    def claims(self) -> dict[str, Claim]:
        return self.guide.claims

    @cached_property
    def digest(self) -> Callable[[str], str | None]:
        return cache(self.guide.digest)

    def status(self, claim_id: str) -> Status:
        if self.report is None:
            return "unverified"
        return overall_status(self.report, claim_id, self.digest, self.claims[claim_id].engines)

    def engine_statuses(self, claim_id: str) -> dict[str, Status]:
        """The claim's status on each engine of its scope that the report ran."""
        if self.report is None:
            return {}
        claim = self.claims[claim_id]
        return {
            engine: claim_status(self.report, claim_id, engine, self.digest)
            for engine in sorted(gating_engines(self.report))
            if claim.in_scope(engine)
        }

    def records(self, claim_id: str) -> list[Record]:
        if self.report is None:
            return []
        by_test = records_by_test(self.report)
        return [
            by_test[(engine, nodeid)]
            for nodeid in tests_naming(self.report, claim_id)
            for engine in self.report["engines"]
            if (engine, nodeid) in by_test
        ]

    @property
    def engines(self) -> str:
        engines = (self.report or {"engines": {}})["engines"].values()
        return ", ".join(f"Docker Engine {e['version']} ({e['os_arch']})" for e in engines)

    def provenance(self) -> str:
        if self.report is None:
            return "No verification report yet: run `nox -s verify`."
        return (
            f"Claims verified on {self.engines}, {self.report['generated_at'][:10]}, "
            f"commit {self.report['git_commit'][:12]}."
        )


def _tree_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for tree in (root / DOCS, root / SNIPPETS, root / TESTS, VERIFIER)
        for p in sorted(tree.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    )


@lru_cache(maxsize=4)
def _load_state(
    root: Path, report_path: Path, signature: tuple[Any, ...], report_mtime: int
) -> SiteState:
    del signature, report_mtime  # cache keys only
    return SiteState(Guide.load(root), load_report(report_path))


def site_state(root: Path, report_path: Path) -> SiteState:
    mtime = report_path.stat().st_mtime_ns if report_path.exists() else 0
    return _load_state(root, report_path, _tree_signature(root), mtime)


def report_problems(state: SiteState) -> list[str]:
    """Problems with the report as a whole, independent of any one page."""
    if state.report is None:
        return ["there is no verification report: run `nox -s verify` first"]
    report = state.report
    named = {claim for claims in report["tests"].values() for claim in claims}
    problems = [
        f"the report proves claim {claim_id!r}, which no page makes"
        for claim_id in sorted(named - set(state.claims))
    ]
    ran = set(report["engines"])
    for snippet in state.guide.runnable:
        for engine, line in snippet.engines_named().items():
            if engine not in ran:
                problems.append(
                    f"{snippet.path}:{line}: expects output [on {engine}], but no engine of the "
                    f"report is {engine} (engines: {', '.join(sorted(ran))}): an unreached branch"
                )
    for claim in state.claims.values():
        problems += [
            f"{claim.location}: claim {claim.id!r} is scoped to engine {engine}, which the "
            "report did not run"
            for engine in claim.engines
            if engine not in ran
        ]
        problems += [
            f"{claim.location}: claim {claim.id!r} says it holds on "
            f"{', '.join(claim.engines)}, but its proofs pass on {engine} too and its snippets "
            "show no difference there: widen its scope or show the difference"
            for engine in sorted(ran - set(claim.engines))
            if claim.engines
            and claim_status(report, claim.id, engine, state.digest) == "verified"
            and not shows_difference(state, claim.id, engine)
        ]
    problems += unbacked_numbers(state.guide, report) + unshown_proofs(state.guide, report)
    return problems + unreached_branches(report)


def shows_difference(state: SiteState, claim_id: str, engine: str) -> bool:
    """Whether a section that binds the claim expects other output from `engine`."""
    for snippet in state.guide.runnable:
        for section in snippet.sections:
            if claim_id in section.claims:
                lines = snippet.lines[section.start : section.end]
                if any(
                    (variant := VARIANT.match(line.strip().removeprefix("# > ")))
                    and engine in variant["engines"].split(", ")
                    for line in lines
                ):
                    return True
    return False


def unreached_branches(report: Report) -> list[str]:
    """Branches a proof declares (`@pytest.mark.branches`) that no engine's run took."""
    declared: dict[str, set[str]] = {}
    reached: dict[str, set[str]] = {}
    for record in report["records"]:
        declared.setdefault(record["nodeid"], set()).update(record.get("branches_declared", []))
        reached.setdefault(record["nodeid"], set()).update(record.get("branches_reached", []))
    return [
        f"{nodeid}: branch {branch!r} ran on no engine of the report (an unreached branch)"
        for nodeid, branches in sorted(declared.items())
        for branch in sorted(branches - reached[nodeid])
    ]


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
            element.append(self.ext.marker(claim, status, state))
            element.append(self.ext.permalink(claim))
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

    def handleMatch(  # type: ignore[override]  # noqa: N802 (Python-Markdown API)
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        name = m["name"]
        state = self.ext.state()
        measured = state.report["measurements"].get(name) if state.report else None
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


class ClaimsExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "root": [".", "The project folder (docs/, snippets/, the report)"],
            "verification_page": ["verification.md", "Page that shows the report"],
            "differences_page": ["engines.md", "Page that shows what differs between engines"],
            "nav_file": ["mkdocs.yml", "The file whose `nav:` gives the pages' reading order"],
            "publish": [
                False,
                "Fail on any claim that is not verified (or VERIFIED_DOCS_PUBLISH=1)",
            ],
        }
        super().__init__(**kwargs)

    @property
    def verification_page(self) -> str:
        return str(self.getConfig("verification_page"))

    @property
    def differences_page(self) -> str:
        return str(self.getConfig("differences_page"))

    @property
    def nav_file(self) -> Path:
        return Path(self.getConfig("root")).resolve() / str(self.getConfig("nav_file"))

    def problems(self, state: SiteState) -> list[str]:
        return report_problems(state)

    @property
    def publishing(self) -> bool:
        return bool(self.getConfig("publish")) or os.environ.get("VERIFIED_DOCS_PUBLISH") == "1"

    def state(self) -> SiteState:
        root = Path(self.getConfig("root")).resolve()
        return site_state(root, root / REPORT)

    def link_to_report(self, page: str, anchor: str) -> str:
        target = posixpath.relpath(self.verification_page, posixpath.dirname(page) or ".")
        return f"{target}#{anchor}"

    def link_from_report(self, page: str, anchor: str = "") -> str:
        start = posixpath.dirname(self.verification_page) or "."
        return posixpath.relpath(page, start) + (f"#{anchor}" if anchor else "")

    def marker(self, claim: Claim, status: Status, state: SiteState) -> etree.Element:
        """A small link to the claim's evidence that says where it holds: `✓ 4/4 engines`,
        `✓ 1/1 engines (28.5-containerd only)`, `✗ 3/4 engines, failing on 26.1`. Its
        accessible name says which claim it is."""
        engines = state.engine_statuses(claim.id)
        text = f"{SYMBOL[status]} {status}"
        if engines:
            verified = [name for name, s in engines.items() if s == "verified"]
            text = f"{SYMBOL[status]} {len(verified)}/{len(engines)} engines"
            scope = scope_label(claim, state)
            text += f" ({scope})" if scope else ""
            failing = [name for name, s in engines.items() if s == "failing"]
            if status != "verified":
                text += f", {status}" + (f" on {', '.join(failing)}" if failing else "")
        marker = etree.Element(
            "a",
            {
                "class": f"claim-badge claim-badge--{status}",
                "href": self.link_to_report(claim.page, claim.id),
                "title": engines_summary(engines) or state.provenance(),
            },
        )
        _hidden(marker, f"Claim: {claim.id.replace('-', ' ')}, ").tail = text
        _hidden(marker, (" verified" if status == "verified" else "") + ". Evidence")
        return marker

    def permalink(self, claim: Claim) -> etree.Element:
        """The claim's own address, shown on hover and focus like a heading's."""
        link = etree.Element(
            "a",
            {
                "class": "headerlink claim-permalink",
                "href": f"#{claim.id}",
                "title": "Permanent link to this claim",
                "aria-label": f"Permanent link to claim: {claim.id.replace('-', ' ')}",
            },
        )
        link.text = "#"
        return link

    def fail_if_publishing(self, where: str, problems: list[str]) -> None:
        if not problems or not self.publishing:
            return
        for problem in problems:
            log.error("%s: %s", where, problem)
        raise ClaimsNotVerified(f"{where}: " + "; ".join(problems))

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown API)
        # Before pymdownx.snippets (priority 32) includes the snippet's own text.
        md.preprocessors.register(RealOutput(md, self), "real_output", 33)
        md.parser.blockprocessors.register(VerificationReport(md, self), "verification_report", 95)
        md.parser.blockprocessors.register(EngineDifferences(md, self), "engine_differences", 94)
        md.inlinePatterns.register(MeasuredValue(md, self), "measured_value", 175)
        # After attr_list (priority 8), which turns `{ .claim #id }` into attributes.
        md.treeprocessors.register(ClaimBadges(md, self), "claim_badges", 5)


def scope_label(claim: Claim, state: SiteState) -> str:
    """Where a scoped claim holds: `28.5-containerd only`, or the image store that all the
    engines of its scope, and only they, use (`classic image store`); empty when unscoped."""
    if not claim.engines:
        return ""
    if len(claim.engines) == 1:
        return f"{claim.engines[0]} only"
    facts = state.report["engines"] if state.report else {}
    stores = {facts.get(e, {}).get("image_store", "classic") for e in claim.engines}
    if len(stores) == 1:
        store = stores.pop()
        with_store = (
            {
                e
                for e in gating_engines(state.report)
                if facts[e].get("image_store", "classic") == store
            }
            if state.report
            else set()
        )
        if with_store == set(claim.engines):
            return f"{store} image store"
    return f"{', '.join(claim.engines)} only"


def engines_summary(engines: dict[str, Status]) -> str:
    """`Verified on 20.10, 26.1 and 28.5. Failing on 28.5-containerd.`"""
    by_status: dict[str, list[str]] = {}
    for name, status in engines.items():
        by_status.setdefault(status, []).append(name)
    return " ".join(
        f"{status.capitalize()} on {', '.join(names[:-1])}{' and ' * (len(names) > 1)}{names[-1]}."
        for status, names in by_status.items()
    )


def _hidden(parent: etree.Element, text: str) -> etree.Element:
    """Text for screen readers only (claims.css hides it from view)."""
    span = etree.SubElement(parent, "span", {"class": "sr-only"})
    span.text = text
    return span


def makeExtension(**kwargs: Any) -> ClaimsExtension:  # noqa: N802 (Python-Markdown API)
    return ClaimsExtension(**kwargs)
