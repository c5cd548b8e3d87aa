"""Every code block on a page is either included from a snippet the suite runs, or marked
illustrative with its reason shown (`!!! illustrative "Illustrative: why it can't run"`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness.includes import INCLUDE
from harness.paths import DOCS, ROOT

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w-]*)")
ADMONITION = re.compile(r'^\s*(?:!!!|\?\?\?\+?)\s+(?P<kind>[\w-]+)(?:\s+"(?P<title>[^"]*)")?')
TAB = re.compile(r'^\s*===\+?\s+"')
NOT_CODE = {"mermaid"}  # diagrams


def indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def illustrative_reason(lines: list[str], fence_line: int) -> str | None:
    """The title of the `illustrative` admonition that encloses the fence, if any."""
    level = indent(lines[fence_line])
    for line in reversed(lines[:fence_line]):
        if not line.strip() or indent(line) >= level:
            continue
        if TAB.match(line):
            level = indent(line)
            continue
        admonition = ADMONITION.match(line)
        if admonition and admonition["kind"] == "illustrative" and admonition["title"]:
            return admonition["title"]
        return None
    return None


def unverified_blocks(page: Path) -> list[str]:
    lines = page.read_text(encoding="utf-8").splitlines()
    problems = []
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if not opening:
            number += 1
            continue
        close = re.compile(rf"^\s*{re.escape(opening['fence'])}\s*$")
        end = next((i for i in range(number + 1, len(lines)) if close.match(lines[i])), len(lines))
        body = [line for line in lines[number + 1 : end] if line.strip()]
        included = body and all(INCLUDE.match(line) for line in body)
        if not (opening["lang"] in NOT_CODE or included or illustrative_reason(lines, number)):
            problems.append(
                f"{page.relative_to(ROOT)}:{number + 1}: code block is neither included from "
                'snippets/ nor inside !!! illustrative "Illustrative: <why it is not run>"'
            )
        number = end + 1
    return problems


@pytest.mark.parametrize(
    "page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_every_code_block_is_run_or_marked_illustrative(page):
    problems = unverified_blocks(page)
    assert not problems, "\n".join(problems)
