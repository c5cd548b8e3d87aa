"""A fingerprint of what a verification run read: the pages and the snippets."""

from __future__ import annotations

import hashlib
from pathlib import Path

VERIFIED_TREES = ("docs", "snippets")


def input_files(project_root: Path) -> dict[str, str]:
    """sha256 of every file under docs/ and snippets/, by path relative to the project."""
    return {
        path.relative_to(project_root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for tree in VERIFIED_TREES
        for path in sorted((project_root / tree).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def inputs_digest(project_root: Path) -> str:
    """One sha256 over the paths and contents of all the inputs."""
    digest = hashlib.sha256()
    for path, file_digest in input_files(project_root).items():
        digest.update(f"{path}\0{file_digest}\n".encode())
    return "sha256:" + digest.hexdigest()
