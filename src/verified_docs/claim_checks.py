"""Checks that tie a claim's sentence to its proof, run by the publish build:

- every number a claim states in its prose is in its evidence (what its tests captured on
  some engine, or the engines' own facts such as their versions); numbers inside links
  (sources, issue numbers) are references, numbers in code (`busybox:1.35`, `--memory 64m`)
  are the inputs the snippet shows, and names such as SHA-256 are not quantities;
- a snippet shown beside a claim (after its sentence, before the next heading, block or claim)
  is one that a proof of the claim runs: its section binds the claim, or a test naming the
  claim read the file.
"""

from __future__ import annotations

import re
from collections import defaultdict

from verified_docs.document import DOCS, Guide, Include
from verified_docs.report import Report

NUMBER = re.compile(r"(?<![\w.,-])\d{1,3}(?:,\d{3})+(?![\w,])|(?<![\w.,-])\d+(?:\.\d+)*(?![\w])")
CODE_SPAN = re.compile(r"(`+).+?\1")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")


def numbers_in(text: str) -> set[str]:
    """The numbers of a text, with each dotted number's prefixes (20.10.24: 20.10 and 20)."""
    found = set(NUMBER.findall(text))
    return found | {".".join(n.split(".")[:k]) for n in found for k in range(1, n.count(".") + 1)}


def stated_numbers(claim_text: str) -> set[str]:
    """The numbers a claim's sentence states itself (not inside links or tags)."""
    prose = CODE_SPAN.sub("", MARKDOWN_LINK.sub("", claim_text))
    return {n.replace(",", "") for n in NUMBER.findall(HTML_TAG.sub("", prose))}


def evidence_text(report: Report, claim_id: str) -> str:
    """Everything the claim's tests captured on every engine, and the engines' facts."""
    parts: list[str] = []
    for record in report["records"]:
        if claim_id not in record["claims"]:
            continue
        for item in record["evidence"]:
            parts.append(item["text"])
            for step in item.get("steps", []):
                parts += [step["command"], *step["output"], str(step["exit_code"])]
    parts += [str(value) for facts in report["engines"].values() for value in facts.values()]
    parts += [str(value) for value in report.get("measurements", {}).values()]
    return "\n".join(parts)


def unbacked_numbers(guide: Guide, report: Report) -> list[str]:
    problems: list[str] = []
    for claim in guide.claims.values():
        missing = stated_numbers(claim.text) - numbers_in(evidence_text(report, claim.id))
        if missing:
            problems.append(
                f"{claim.location}: claim {claim.id!r} states {', '.join(sorted(missing))}, "
                "which its evidence doesn't contain: capture the value in its proof, or cite it"
            )
    return problems


def claims_beside(guide: Guide, include: Include) -> list[str]:
    """The claims whose sentences the include follows: claim markers above it, up to the
    previous heading or code block (tabs of the same example don't interrupt)."""
    page = guide.pages[include.page]
    marked = {claim.line: claim.id for claim in page.claims}
    beside: list[str] = []
    own_fence = True
    for number in range(include.line - 1, 0, -1):  # 1-based, from the line above
        stripped = page.lines[number - 1].strip()
        if stripped.startswith(("```", "~~~")):
            if not own_fence:
                break
            own_fence = False  # the include's own opening fence
            continue
        if stripped.startswith("# ") or re.match(r"#{2,6} ", stripped):
            break
        if number in marked:
            beside.append(marked[number])
    return beside


def unshown_proofs(guide: Guide, report: Report) -> list[str]:
    read_by: dict[str, set[str]] = defaultdict(set)  # claim -> files its tests read
    for record in report["records"]:
        for claim_id in record["claims"]:
            read_by[claim_id] |= set(record["inputs"])
    problems: list[str] = []
    for page in guide.pages.values():
        for include in page.includes:
            snippet = guide.snippets.get(include.path)
            section = snippet.section(include.section or "") if snippet else None
            for claim_id in claims_beside(guide, include):
                binds = section is not None and claim_id in section.claims
                if not binds and include.path not in read_by[claim_id]:
                    shown = f"{include.path}:{include.section}" if include.section else include.path
                    problems.append(
                        f"{DOCS}/{include.page}:{include.line}: shows {shown} beside claim "
                        f"{claim_id!r}, but no proof of that claim runs it"
                    )
    return problems
