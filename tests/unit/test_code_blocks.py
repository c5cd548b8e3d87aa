"""Every code block on a page is either included from a snippet the suite runs, or marked
illustrative with its reason shown (`!!! illustrative "Illustrative: why it can't run"`)."""

from __future__ import annotations

import re

from verified_docs.document import DOCS, Page

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


def unverified_blocks(page: Page) -> list[str]:
    lines = list(page.lines)
    return [
        f"{DOCS}/{page.path}:{block.line}: code block is neither included from snippets/ nor "
        'inside !!! illustrative "Illustrative: <why it is not run>"'
        for block in page.code_blocks
        if not (
            block.lang in NOT_CODE
            or block.includes_only
            or illustrative_reason(lines, block.line - 1)
        )
    ]


def test_every_code_block_is_run_or_marked_illustrative(guide):
    problems = [problem for page in guide.pages.values() for problem in unverified_blocks(page)]
    assert not problems, "\n".join(problems)
