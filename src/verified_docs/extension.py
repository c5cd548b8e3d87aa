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
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from verified_docs.document import (
    DOCS,
    FENCE,
    INCLUDE,
    REPORT,
    SNIPPETS,
    TESTS,
    VARIANT,
    VERIFIER,
    Claim,
    Guide,
    Include,
    Section,
    Snippet,
)
from verified_docs.report import (
    STATUSES,
    Record,
    Report,
    Status,
    claim_status,
    gating_engines,
    is_current,
    load_report,
    overall_status,
    records_by_test,
    tests_naming,
)

log = logging.getLogger("mkdocs.verified_docs")

REPORT_MARKER = "[[verification-report]]"
DIFFERENCES_MARKER = "[[engine-differences]]"
MEASURED = r"\[\[measured:(?P<name>[a-z0-9][a-z0-9-]*)\]\]"
BADGE_TEXT: dict[str, str] = {
    "verified": "✓ verified",
    "failing": "✗ failing",
    "stale": "↻ stale",
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


class RealOutput(Preprocessor):
    """A code block that only includes a transcript section shows what the verified run
    printed instead of the transcript's notation: one block when every engine expects the same
    output, else a tab per engine, the engine most readers have first. Runs before
    pymdownx.snippets (priority 32), which includes the snippet text when there is no run."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        state = self.ext.state()
        out: list[str] = []
        index = 0
        while index < len(lines):
            block = included_transcript(lines, index)
            if block is None:
                out.append(lines[index])
                index += 1
                continue
            indent, include, end = block
            shown = real_output(state, include)
            if shown:
                out += render_outputs(indent, shown, section_differs(state, include), state)
            else:
                out += lines[index : end + 1]
            index = end + 1
        return out


def included_transcript(lines: list[str], index: int) -> tuple[str, Include, int] | None:
    """(indent, include, closing line) when lines[index] opens a ```console block whose only
    content is one include of a transcript section."""
    opening = FENCE.match(lines[index])
    if not opening or opening["lang"] != "console" or index + 2 >= len(lines):
        return None
    include = INCLUDE.match(lines[index + 1])
    if include is None or lines[index + 2].strip() != opening["fence"]:
        return None
    if not include["path"].endswith(".console") or not include["section"]:
        return None
    found = Include("", index + 2, include["path"], include["section"])
    return opening["indent"], found, index + 2


def section_differs(state: SiteState, include: Include) -> bool:
    """Whether the section expects some engine to print something else (`[on NAME]`)."""
    snippet = state.guide.snippets[include.path]
    section = snippet.section(include.section or "")
    assert section is not None
    return any(VARIANT.match(line.strip()) for line in snippet.lines[section.start : section.end])


def real_output(state: SiteState, include: Include) -> dict[str, list[str]]:
    """Each engine's real output of the included section; empty without a passing run."""
    snippet = state.guide.snippets.get(include.path)
    section = snippet.section(include.section or "") if snippet else None
    if state.report is None or snippet is None or section is None:
        return {}
    shown: dict[str, list[str]] = {}
    for record in state.report["records"]:
        if record["outcome"] != "passed" or not is_current(record, state.digest):
            continue
        for item in record["evidence"]:
            if item["label"] != include.path or "steps" not in item:
                continue
            lines: list[str] = []
            for step in item["steps"]:
                if section.start < step["line"] < section.end:
                    lines += [f"$ {step['command']}", *step["output"]]
            shown[record["engine"]] = lines
    return shown


READERS_ENGINE = "28.5-containerd"  # what a fresh install runs: its output comes first


def engine_label(engine: str, facts: dict[str, str] | None) -> str:
    if not facts:
        return engine
    store = facts.get("image_store", "classic")
    return f"Docker {facts['version'].split('+')[0]}, {store} image store"


def render_outputs(
    indent: str, shown: dict[str, list[str]], differ: bool, state: SiteState
) -> list[str]:
    """One console block, or a tab per engine where the snippet expects engines to differ."""
    facts = state.report["engines"] if state.report else {}
    engines = sorted(
        shown, key=lambda e: (e != READERS_ENGINE, [-int(n) for n in re.findall(r"\d+", e)])
    )

    def block(pad: str, engine: str) -> list[str]:
        body = [f"{pad}{line}" if line else "" for line in shown[engine]]
        return [f"{pad}```console", *body, f"{pad}```"]

    if not differ or len(engines) == 1:
        return block(indent, engines[0])
    out: list[str] = []
    for engine in engines:
        label = engine_label(engine, facts.get(engine))
        out += [f'{indent}=== "{label}"', "", *block(indent + "    ", engine), ""]
    return out


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
        engines = sorted(state.report["engines"], key=engine_order)
        listed = 0
        for page in state.guide.pages.values():
            for claim in page.claims:
                statuses = {
                    e: state.engine_statuses(claim.id).get(e, "not claimed") for e in engines
                }
                steps = differing_steps(state, claim.id)
                if len(set(statuses.values())) == 1 and not steps and not claim.engines:
                    continue
                listed += 1
                heading = _add(parent, "h3", id=f"differs-{claim.id}")
                _add(heading, "a", claim.text, href=self.ext.link_from_report(claim.page, claim.id))
                rows = _table(parent, ["Engine", "Status"])
                for engine in engines:
                    row = _add(rows, "tr")
                    _add(row, "td", engine_label(engine, state.report["engines"][engine]))
                    _add(row, "td", statuses[engine])
                for command, outputs in steps:
                    details = _add(parent, "details")
                    _add(_add(details, "summary"), "code", f"$ {command}")
                    for engine in engines:
                        if engine in outputs:
                            _add(
                                details, "p", engine_label(engine, state.report["engines"][engine])
                            )
                            _add(_add(details, "pre"), "code", "\n".join(outputs[engine]))
        _add(parent, "p", f"{listed} claims differ between the engines of this report.")


def engine_order(engine: str) -> tuple[bool, list[int]]:
    """The engine most readers have first, then the newest."""
    return engine != READERS_ENGINE, [-int(n) for n in re.findall(r"\d+", engine)]


def differing_steps(state: SiteState, claim_id: str) -> list[tuple[str, dict[str, list[str]]]]:
    """Commands, in the sections that bind the claim, whose expected output differs between
    engines (`[on NAME]`), with what each engine really printed."""
    found: list[tuple[str, dict[str, list[str]]]] = []
    assert state.report is not None
    for snippet in state.guide.runnable:
        for section in snippet.sections:
            if claim_id not in section.claims or not section_has_variants(snippet, section):
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
        facts = []
        for name, engine in report["engines"].items():
            facts += [
                (
                    f"Engine {name}",
                    f"Docker Engine {engine['version']} (API {engine['api_version']})",
                ),
                ("Engine host", f"{engine['operating_system']}, {engine['os_arch']}"),
                ("Kernel", engine["kernel"]),
                (
                    "Storage, image store, cgroups",
                    f"{engine['storage_driver']}, {engine.get('image_store', 'classic')}, "
                    f"cgroup v{engine['cgroup']}",
                ),
            ]
        facts += [
            ("Date", report["generated_at"]),
            ("Commit", report["git_commit"] + (" (with local changes)" * report["git_dirty"])),
        ]
        facts += [
            (f"Base image {name}", f"{info['obtained']}; image {info['id'][:19]}")
            for name, info in sorted(report["base_images"].items())
        ]
        for name, value in facts:
            row = _add(rows, "tr")
            _add(row, "td", name)
            _add(_add(row, "td"), "code", value)

    measurements = report["measurements"] if report else {}
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
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts),
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
            render_claim_row(
                body, state, claim, state.status(claim.id), state.records(claim.id), ext
            )


def render_claim_row(
    body: etree.Element,
    state: SiteState,
    claim: Claim,
    status: Status,
    records: list[Record],
    ext: ClaimsExtension,
) -> None:
    row = _add(body, "tr", id=claim.id)
    _add(_add(row, "td"), "a", claim.id, href=ext.link_from_report(claim.page, claim.id))
    cell = _add(row, "td", BADGE_TEXT[status], class_=f"claim-status claim-status--{status}")
    for engine, engine_status in state.engine_statuses(claim.id).items():
        _add(cell, "div", f"{engine}: {engine_status}")
    tests_cell = _add(row, "td")
    evidence_cell = _add(row, "td")
    if not records:
        tests_cell.text = "no test ran"
        return
    for record in records:
        line = _add(tests_cell, "div")
        _add(line, "code", record["nodeid"])
        _add(
            line,
            "span",
            f" {record['outcome']} on {record['engine']} in {record['duration']:.2f} s",
        )
        for item in record["evidence"]:
            details = _add(evidence_cell, "details")
            _add(details, "summary", item["label"])
            _add(_add(details, "pre"), "code", item["text"])


class ClaimsExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "root": [".", "The project folder (docs/, snippets/, the report)"],
            "verification_page": ["verification.md", "Page that shows the report"],
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

    def badge(self, claim: Claim, status: Status, state: SiteState) -> etree.Element:
        badge = etree.Element(
            "a",
            {
                "class": f"claim-badge claim-badge--{status}",
                "href": self.link_to_report(claim.page, claim.id),
                "title": f"Claim {claim.id}: {status}. {state.provenance()}",
            },
        )
        engines = state.engine_statuses(claim.id)
        verified = [name for name, engine_status in engines.items() if engine_status == "verified"]
        badge.text = BADGE_TEXT[status]
        if engines:
            badge.text = f"{BADGE_TEXT[status].split()[0]} {len(verified)}/{len(engines)} engines"
        badge.set(
            "title",
            f"Claim {claim.id}: {status}; "
            + ", ".join(f"{name}: {s}" for name, s in engines.items())
            + f". {state.provenance()}",
        )
        return badge

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


def makeExtension(**kwargs: Any) -> ClaimsExtension:  # noqa: N802 (Python-Markdown API)
    return ClaimsExtension(**kwargs)
