"""Which claims an edit can change: the incremental mode of `nox -s verify -- <paths>`.

A page's claims depend on the page and on every file in the snippet folders it includes from
(transcripts run the scripts, Dockerfiles and data files next to them). A change to the base
image's Dockerfile affects every claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from harness.includes import all_includes
from harness.paths import DOCS, ROOT
from verified_docs.claims import Claim

EVERYTHING = ("snippets/base-image/",)


def snippet_folders_by_page() -> dict[str, set[str]]:
    folders: dict[str, set[str]] = {}
    for include in all_includes(DOCS):
        page = include.page.relative_to(DOCS).as_posix()
        folders.setdefault(page, set()).add(str(PurePosixPath(include.path).parent) + "/")
    return folders


def affected_claims(changed: Iterable[str], claims: dict[str, Claim]) -> set[str]:
    """IDs of the claims whose proof may differ after the given files (project paths) changed."""
    changed = [
        PurePosixPath(path).as_posix().removeprefix(f"{ROOT.as_posix()}/") for path in changed
    ]
    if any(path.startswith(EVERYTHING) for path in changed):
        return set(claims)
    folders = snippet_folders_by_page()
    pages = set()
    for path in changed:
        if path.startswith("docs/"):
            pages.add(path.removeprefix("docs/"))
        pages |= {page for page, used in folders.items() if any(path.startswith(f) for f in used)}
    return {claim.id for claim in claims.values() if claim.page in pages}
