"""Find the claims that pages make: `{ .claim #some-id }` after a statement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# attr_list syntax, so the statement's element gets the claim ID as its HTML id.
CLAIM_ATTR = re.compile(r"\{:?\s*\.claim\s+#(?P<id>[^\s}]+)\s*\}")
CLAIM_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+).+?\1")


@dataclass(frozen=True)
class Claim:
    id: str
    page: str  # path relative to the docs directory, with forward slashes
    line: int

    @property
    def location(self) -> str:
        return f"docs/{self.page}:{self.line}"


class ClaimSyntaxError(ValueError):
    """A claim ID that is malformed or defined twice."""


def claims_in_page(text: str, page: str) -> list[Claim]:
    """Claims written in one page, in order, ignoring fenced code."""
    found: list[Claim] = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in CLAIM_ATTR.finditer(INLINE_CODE.sub("", line)):
            claim_id = match["id"]
            if not CLAIM_ID.fullmatch(claim_id):
                raise ClaimSyntaxError(
                    f"docs/{page}:{number}: claim ID {claim_id!r} must be lowercase words "
                    "joined by hyphens, e.g. 'tags-move-ids-do-not'"
                )
            found.append(Claim(claim_id, page, number))
    return found


def collect_claims(docs_dir: Path) -> dict[str, Claim]:
    """Every claim in the docs, by ID. IDs are unique across the site."""
    claims: dict[str, Claim] = {}
    for path in sorted(docs_dir.rglob("*.md")):
        page = path.relative_to(docs_dir).as_posix()
        for claim in claims_in_page(path.read_text(encoding="utf-8"), page):
            if claim.id in claims:
                first = claims[claim.id]
                raise ClaimSyntaxError(
                    f"{claim.location}: claim ID {claim.id!r} is already used at {first.location}"
                )
            claims[claim.id] = claim
    return claims
