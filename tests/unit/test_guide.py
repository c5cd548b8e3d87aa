"""The guide's inputs are consistent: includes resolve, every snippet is shown, every runnable
snippet binds claims and every transcript parses. No Docker needed."""

from __future__ import annotations

from verified_docs.document import SNIPPETS
from verified_docs.transcripts import parse_transcript

# Files that pages don't include: the base image's recipe and build inputs that a shown
# Dockerfile COPYs.
NOT_SHOWN = {f"{SNIPPETS}/base-image/Dockerfile"}
BUILD_INPUTS = {"message.txt"}


def test_the_guide_has_no_input_problems(guide):
    assert guide.problems() == []


def test_every_snippet_is_included_by_a_page(guide):
    included = {include.path for include in guide.includes}
    orphans = [
        path
        for path in guide.snippets
        if path not in included | NOT_SHOWN and path.rsplit("/", 1)[-1] not in BUILD_INPUTS
    ]
    assert not orphans, f"snippets no page includes: {orphans}"


def test_every_transcript_and_python_snippet_is_run(guide):
    not_run = [
        path
        for path, snippet in guide.snippets.items()
        if path.endswith((".console", ".py")) and not snippet.kind
    ]
    assert not not_run, f"snippets that bind no claim, so nothing runs them: {not_run}"


def test_every_transcript_parses(guide):
    for path in guide.snippets:
        if path.endswith(".console"):
            assert parse_transcript(guide.root / path).steps, path
