"""Checks that need no Docker: every include resolves, every snippet is shown and exercised."""

from __future__ import annotations

import re

import pytest
from harness.includes import all_includes, sections_in
from harness.paths import ROOT, SNIPPETS, TESTS
from harness.transcripts import parse_transcript

# Snippets used by the harness itself rather than shown on a page.
HARNESS_ONLY = {"snippets/base-image/Dockerfile"}


def snippet_files() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in SNIPPETS.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("include", all_includes(), ids=lambda i: i.location)
def test_every_include_resolves(include):
    target = ROOT / include.path
    assert target.is_file(), f"{include.location}: {include.path} does not exist"
    if include.section:
        assert include.section in sections_in(target), (
            f"{include.location}: {include.path} has no section [start:{include.section}]"
        )


def test_every_snippet_is_included_by_a_page():
    included = {include.path for include in all_includes()}
    data_files = {"message.txt"}  # build inputs, shown through the Dockerfile's COPY
    orphans = [
        path
        for path in snippet_files()
        if path not in included
        and path not in HARNESS_ONLY
        and path.rsplit("/", 1)[-1] not in data_files
    ]
    assert not orphans, f"snippets no page includes: {orphans}"


def test_every_snippet_is_exercised_by_a_test():
    test_text = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    run_by_transcripts = set()
    for console in SNIPPETS.rglob("*.console"):
        text = console.read_text()
        for script in re.findall(r"python (\S+\.py)", text):
            run_by_transcripts.add((console.parent / script).relative_to(ROOT).as_posix())
        if "docker build" in text:
            run_by_transcripts.add((console.parent / "Dockerfile").relative_to(ROOT).as_posix())
    unexercised = []
    for path in snippet_files():
        relative = path.removeprefix("snippets/")
        if (path.endswith(".console") and relative not in test_text) or (
            path.endswith((".py", "Dockerfile")) and path not in run_by_transcripts | HARNESS_ONLY
        ):
            unexercised.append(path)
    assert not unexercised, f"snippets no test runs: {unexercised}"


@pytest.mark.parametrize(
    "console", sorted(SNIPPETS.rglob("*.console")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_every_transcript_parses(console):
    assert parse_transcript(console).steps
