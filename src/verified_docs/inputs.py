"""A fingerprint of what a verification run read: the pages and the snippets."""

from __future__ import annotations

import hashlib
from pathlib import Path

VERIFIED_TREES = ("docs", "snippets")


def inputs_digest(project_root: Path) -> str:
    """sha256 over the path and bytes of every file under docs/ and snippets/."""
    digest = hashlib.sha256()
    for tree in VERIFIED_TREES:
        for path in sorted((project_root / tree).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(project_root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()
