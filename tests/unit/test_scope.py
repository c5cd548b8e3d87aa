"""Claims say where they hold; the publish build holds them to it, engine by engine."""

from __future__ import annotations

import pytest

from verified_docs.extension import ClaimsNotVerified

from .test_extension import ENGINE, a_record, a_report, project, render, write

__all__ = ["project"]  # the fixture, shared with test_extension

SCOPED = 'On the classic image store, X.\n{ .claim #tag-moves data-engines="20.10" }\n'


def two_engines(project, *records):
    report = a_report(project, *records)
    report["engines"]["28.5-containerd"] = ENGINE | {"name": "28.5-containerd"}
    return report


def on(project, engine, outcome="passed"):
    record = a_record(project, outcome=outcome)
    record["engine"] = engine
    return record


def test_an_unscoped_claim_must_pass_on_every_engine(project):
    write(
        project,
        two_engines(project, on(project, "20.10"), on(project, "28.5-containerd", "failed")),
    )
    with pytest.raises(ClaimsNotVerified, match=r"claim 'tag-moves' .* is failing"):
        render(project, "page.md", publish=True)


def test_a_scoped_claim_needs_only_its_engines(project):
    (project / "docs" / "page.md").write_text(SCOPED)
    write(
        project,
        two_engines(project, on(project, "20.10"), on(project, "28.5-containerd", "failed")),
    )
    assert "✓ 1/1 engines" in render(project, "page.md", publish=True)


def test_a_scoped_claim_that_holds_elsewhere_too_contradicts_its_scope(project):
    (project / "docs" / "page.md").write_text(SCOPED)
    write(project, two_engines(project, on(project, "20.10"), on(project, "28.5-containerd")))
    with pytest.raises(ClaimsNotVerified, match=r"its proofs pass on 28\.5-containerd too"):
        render(project, "page.md", publish=True)


def test_a_claim_scoped_to_an_engine_that_did_not_run_fails(project):
    (project / "docs" / "page.md").write_text(SCOPED.replace('"20.10"', '"20.10 26.1"'))
    write(
        project,
        two_engines(project, on(project, "20.10"), on(project, "28.5-containerd", "failed")),
    )
    with pytest.raises(
        ClaimsNotVerified, match=r"scoped to engine 26\.1, which the report did not run"
    ):
        render(project, "page.md", publish=True)


def test_a_declared_branch_that_no_engine_took_fails(project):
    record = a_record(project)
    record["branches_declared"] = ["classic store", "containerd store"]
    record["branches_reached"] = ["classic store"]
    write(project, a_report(project, record))
    with pytest.raises(ClaimsNotVerified, match="branch 'containerd store' ran on no engine"):
        render(project, "page.md", publish=True)


def test_output_expected_from_an_engine_that_did_not_run_fails(project):
    (project / "snippets" / "t").mkdir()
    (project / "snippets" / "t" / "t.console").write_text(
        "# --8<-- [start:s] proves: tag-moves\n$ true\n[on 29.0]\nx\n# --8<-- [end:s]\n"
    )
    page = (project / "docs" / "page.md").read_text()
    (project / "docs" / "page.md").write_text(
        page + '\n```console\n--8<-- "snippets/t/t.console:s"\n```\n'
    )
    write(project, a_report(project))
    with pytest.raises(
        ClaimsNotVerified, match=r"expects output \[on 29.0\], .* an unreached branch"
    ):
        render(project, "verification.md", publish=True)


def test_an_extra_engine_is_reported_but_does_not_decide(project):
    report = two_engines(project, on(project, "20.10"), on(project, "28.5-containerd", "failed"))
    report["engines"]["28.5-containerd"]["role"] = "extra"
    write(project, report)
    assert "✓ 1/1 engines" in render(project, "page.md", publish=True)


def test_reports_of_separate_runs_combine_into_one(project):
    from verified_docs.report import combine

    first = a_report(project, on(project, "20.10"))
    second = two_engines(project, on(project, "28.5-containerd"))
    del second["engines"]["20.10"]
    combined = combine([first, second])
    assert set(combined["engines"]) == {"20.10", "28.5-containerd"}
    assert {r["engine"] for r in combined["records"]} == {"20.10", "28.5-containerd"}
