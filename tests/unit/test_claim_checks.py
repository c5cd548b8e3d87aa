"""A claim's numbers come from its evidence; the snippet beside a claim is one its proof runs."""

from __future__ import annotations

from verified_docs.claim_checks import claims_beside, unbacked_numbers, unshown_proofs
from verified_docs.document import Guide

from .test_extension import a_record, a_report

SHOWN = """# Page

## Stopping

A stop waits 10 seconds, then the exit code is 137.
{ .claim #stop-waits }

```console
--8<-- "snippets/stop.console:stop"
```

## Unrelated

```console
--8<-- "snippets/stop.console:other"
```
"""
TRANSCRIPT = """# --8<-- [start:stop] proves: {binds}
$ docker stop x
x
# --8<-- [end:stop]
# --8<-- [start:other]
$ docker ps -a
# --8<-- [end:other]
"""


def a_project(tmp_path, binds="stop-waits"):
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "page.md").write_text(SHOWN)
    (tmp_path / "snippets" / "stop.console").write_text(TRANSCRIPT.format(binds=binds))
    return Guide.load(tmp_path)


def test_a_number_missing_from_the_evidence_is_named(tmp_path):
    guide = a_project(tmp_path)
    record = a_record(tmp_path, evidence="waited 10 s", claims=("stop-waits",))
    problems = unbacked_numbers(guide, a_report(tmp_path, record))
    assert problems == [
        "docs/page.md:6: claim 'stop-waits' states 137, which its evidence doesn't contain: "
        "capture the value in its proof, or cite it"
    ]


def test_numbers_in_the_evidence_or_in_links_pass(tmp_path):
    guide = a_project(tmp_path)
    record = a_record(tmp_path, evidence="waited 10 s\nexit code 137", claims=("stop-waits",))
    assert unbacked_numbers(guide, a_report(tmp_path, record)) == []


def test_the_snippet_beside_a_claim_must_be_run_by_its_proof(tmp_path):
    guide = a_project(tmp_path, binds="")
    include = guide.pages["page.md"].includes[0]
    assert claims_beside(guide, include) == ["stop-waits"]
    assert claims_beside(guide, guide.pages["page.md"].includes[1]) == []
    record = a_record(tmp_path, claims=("stop-waits",))
    problems = unshown_proofs(guide, a_report(tmp_path, record))
    assert problems == [
        "docs/page.md:9: shows snippets/stop.console:stop beside claim 'stop-waits', but no "
        "proof of that claim runs it"
    ]


def test_a_section_that_binds_the_claim_is_shown_beside_it(tmp_path):
    guide = a_project(tmp_path)
    record = a_record(tmp_path, claims=("stop-waits",))
    assert unshown_proofs(guide, a_report(tmp_path, record)) == []
