"""Which pages include which snippet files (pymdownx.snippets `--8<--` lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.paths import DOCS, ROOT

# `--8<-- "snippets/x/y.py:section"` on a line of its own, as pymdownx.snippets reads it.
INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"(?P<path>[^":]+)(?::(?P<section>[a-z0-9_-]+))?"')


@dataclass(frozen=True)
class Include:
    page: Path
    line: int
    path: str  # relative to the project root, as written
    section: str | None

    @property
    def location(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def all_includes(docs: Path = DOCS) -> list[Include]:
    found = []
    for page in sorted(docs.rglob("*.md")):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if match := INCLUDE.match(line):
                found.append(Include(page, number, match["path"], match["section"]))
    return found


def pages_including(snippet: Path, root: Path = ROOT) -> list[str]:
    relative = snippet.resolve().relative_to(root.resolve()).as_posix()
    includes = all_includes(root / "docs")
    return sorted({i.page.relative_to(root).as_posix() for i in includes if i.path == relative})


def sections_in(snippet: Path) -> set[str]:
    text = snippet.read_text(encoding="utf-8")
    return set(re.findall(r"--8<--\s*\[start:([a-z0-9_-]+)\]", text))
