"""The reference pages only point at what the suite proves and runs."""

from __future__ import annotations

import re

LINK = re.compile(r"\]\((?P<page>[\w/.-]+\.md)#(?P<anchor>[\w-]+)\)")
COMMAND = re.compile(r"`(docker [a-z]+(?: [a-z]+)?)[^`]*`")


def test_every_summary_row_links_to_claims_on_their_pages(guide):
    claims = guide.claims
    rows = [line for line in guide.pages["summary.md"].lines if line.startswith("| ")]
    problems = []
    for row in rows[2:]:
        proofs = row.rstrip(" |").rsplit("|", 1)[-1]
        links = LINK.findall(proofs)
        if not links and "---" not in row and "Proven by" not in row:
            problems.append(f"row links to no claim: {row[:60]}")
        for page, anchor in links:
            claim = claims.get(anchor)
            if claim is None or claim.page != page:
                problems.append(f"{page}#{anchor} is not a claim on {page}")
    assert not problems, "\n".join(problems)


def test_every_cheat_sheet_command_runs_in_a_transcript(guide):
    commands = set()
    for path, snippet in guide.snippets.items():
        if not path.endswith(".console"):
            continue
        for line in snippet.lines:
            if line.startswith("$ "):
                commands |= {
                    " ".join(m.split()[:3]) for m in re.findall(r"docker [a-z]+(?: [a-z]+)?", line)
                }
    listed = set(COMMAND.findall("\n".join(guide.pages["cheat-sheet.md"].lines)))
    missing = sorted(c for c in listed if not any(used.startswith(c) for used in commands))
    assert not missing, f"cheat sheet commands no transcript runs: {missing}"
