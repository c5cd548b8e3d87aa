"""The claims extension renders status and evidence, escapes output, and gates publishing."""

from __future__ import annotations

import hashlib
import re

import markdown
import pytest

from verified_docs.document import REPORT
from verified_docs.extension import ClaimsNotVerified
from verified_docs.report import SCHEMA, Record, Report, save_report

PAGE = "A tag moves; an ID doesn't.\n{ .claim #tag-moves }\n"
ENGINE = {
    "name": "20.10",
    "version": "20.10.24",
    "api_version": "1.41",
    "os_arch": "linux/amd64",
    "operating_system": "Debian GNU/Linux 12 (bookworm)",
    "kernel": "6.1",
    "storage_driver": "overlay2",
    "image_store": "classic",
    "cgroup": "1",
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "page.md").write_text(PAGE)
    (tmp_path / "docs" / "verification.md").write_text("[[verification-report]]\n")
    return tmp_path


def sha(project, path):
    return hashlib.sha256((project / path).read_bytes()).hexdigest()


def a_record(project, outcome="passed", evidence="ok", claims=("tag-moves",)) -> Record:
    return {
        "nodeid": "tests/test_x.py::test_y",
        "engine": "20.10",
        "outcome": outcome,
        "duration": 1.0,
        "finished_at": "2026-11-27T10:00:00+00:00",
        "claims": list(claims),
        "evidence": [{"label": "out", "text": evidence}],
        "inputs": {"docs/page.md": sha(project, "docs/page.md")},
    }


def a_report(project, *records: Record) -> Report:
    records = records or (a_record(project),)
    return {
        "schema": SCHEMA,
        "generated_at": "2026-11-27T10:00:00+00:00",
        "git_commit": "0123456789abcdef",
        "git_dirty": False,
        "engines": {"20.10": ENGINE},
        "tests": {r["nodeid"]: r["claims"] for r in records},
        "records": list(records),
        "base_images": {},
        "measurements": {},
    }


def render(project, page, publish=False):
    md = markdown.Markdown(
        extensions=["attr_list", "verified_docs.extension"],
        extension_configs={"verified_docs.extension": {"root": str(project), "publish": publish}},
    )
    return md.convert((project / "docs" / page).read_text())


def write(project, report):
    save_report(report, project / REPORT)


def test_a_verified_claim_gets_a_badge_linking_to_its_evidence(project):
    write(project, a_report(project))
    html = render(project, "page.md", publish=True)
    assert 'id="tag-moves"' in html
    assert 'href="verification.md#tag-moves"' in html
    assert "✓ 1/1 engines" in html
    assert "Docker Engine 20.10.24 (linux/amd64), 2026-11-27, commit 0123456789ab" in html


def test_a_claims_marker_says_which_claim_and_where_it_holds_and_it_has_a_permalink(project):
    write(project, a_report(project))
    html = render(project, "page.md")
    marker = html[html.index('<a class="claim-badge claim-badge--verified"') :]
    marker = marker[: marker.index("</a>")]
    name = re.sub(r"<[^>]+>", "", marker)  # what a screen reader says
    assert name == "Claim: tag moves, ✓ 1/1 engines verified. Evidence"
    assert 'class="sr-only"' in marker
    assert 'title="Verified on 20.10."' in marker
    assert (
        '<a aria-label="Permanent link to claim: tag moves" class="headerlink claim-permalink"'
        in html
    )
    assert 'href="#tag-moves"' in html


def test_a_failing_claims_marker_names_the_engines_it_fails_on(project):
    report = a_report(project, a_record(project))
    failed = a_record(project, outcome="failed")
    failed["engine"] = "28.5"
    report["records"].append(failed)
    report["engines"]["28.5"] = ENGINE | {"version": "28.5.2"}
    write(project, report)
    assert "✗ 1/2 engines, failing on 28.5" in render(project, "page.md")


def test_a_scoped_claims_marker_names_its_scope(project):
    (project / "docs" / "page.md").write_text(
        'On classic, X.\n{ .claim #tag-moves data-engines="20.10 26.1" }\n'
    )
    report = a_report(project)
    for engine in ("26.1", "28.5-containerd"):
        record = a_record(project)
        record["engine"] = engine
        report["records"].append(record)
    report["engines"]["26.1"] = ENGINE
    report["engines"]["28.5-containerd"] = ENGINE | {"image_store": "containerd"}
    write(project, report)
    assert "✓ 2/2 engines (classic image store)" in render(project, "page.md")


def test_the_report_page_links_back_and_escapes_captured_output(project):
    write(project, a_report(project, a_record(project, evidence="<script>alert('x')</script>")))
    html = render(project, "verification.md", publish=True)
    assert 'href="page.md#tag-moves"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html


@pytest.mark.parametrize(("outcome", "status"), [("failed", "failing"), ("skipped", "unverified")])
def test_publishing_fails_on_a_claim_that_is_not_verified(project, outcome, status):
    write(project, a_report(project, a_record(project, outcome=outcome)))
    assert status in render(project, "page.md")
    with pytest.raises(ClaimsNotVerified, match=rf"docs/page.md: claim 'tag-moves' .* is {status}"):
        render(project, "page.md", publish=True)


def test_publishing_fails_without_a_report(project):
    assert "? unverified" in render(project, "page.md")
    with pytest.raises(ClaimsNotVerified, match="there is no verification report"):
        render(project, "page.md", publish=True)


def test_a_claim_whose_proof_read_other_files_is_stale(project):
    write(project, a_report(project))
    (project / "docs" / "page.md").write_text("Edited.\n\n" + PAGE)
    assert "↻ 0/1 engines" in render(project, "page.md")
    with pytest.raises(ClaimsNotVerified, match=r"claim 'tag-moves' .* is stale"):
        render(project, "page.md", publish=True)


def test_a_claim_with_a_proof_that_never_ran_is_unverified(project):
    report = a_report(project)
    report["tests"]["tests/test_x.py::test_never_ran"] = ["tag-moves"]
    write(project, report)
    with pytest.raises(ClaimsNotVerified, match=r"claim 'tag-moves' .* is unverified"):
        render(project, "page.md", publish=True)


def test_publishing_fails_when_a_test_proves_a_claim_no_page_makes(project):
    write(project, a_report(project, a_record(project, claims=("tag-moves", "ghost"))))
    with pytest.raises(ClaimsNotVerified, match="proves claim 'ghost', which no page makes"):
        render(project, "verification.md", publish=True)


def test_measurements_come_from_the_report(project):
    report = a_report(project)
    report["measurements"] = {
        "container-start": {"value": 412.5, "unit": "ms", "test": "t::m", "name": "x"}
    }
    (project / "docs" / "speed.md").write_text("Start: [[measured:container-start]].\n")
    write(project, report)
    assert ">412.5 ms</span>" in render(project, "speed.md", publish=True)


SECTION = (
    "# --8<-- [start:s] proves: tag-moves\n$ docker tag a b\n$ docker image ls b\n[ID]\n"
    "[on 28.5-containerd]\n[ID] [DIGEST]\n# --8<-- [end:s]\n"
)
BLOCK = '```console\n--8<-- "snippets/t/t.console:s"\n```\n'


def a_run(project, engine, printed):
    record = a_record(project)
    record["engine"] = engine
    steps = [
        {"line": 2, "command": "docker tag a b", "output": [], "exit_code": 0},
        {"line": 3, "command": "docker image ls b", "output": [printed], "exit_code": 0},
    ]
    record["evidence"] = [{"label": "snippets/t/t.console", "text": "", "steps": steps}]
    record["inputs"] = {}
    return record


def test_pages_show_each_engines_real_output_in_tabs_where_engines_differ(project):
    (project / "snippets" / "t").mkdir()
    (project / "snippets" / "t" / "t.console").write_text(SECTION)
    (project / "docs" / "page.md").write_text(PAGE + "\n" + BLOCK)
    report = a_report(
        project, a_run(project, "20.10", "4b5c1e"), a_run(project, "28.5-containerd", "9f8e7d")
    )
    report["engines"]["28.5-containerd"] = ENGINE | {
        "version": "28.5.2",
        "image_store": "containerd",
    }
    write(project, report)
    md = markdown.Markdown(
        extensions=[
            "attr_list",
            "pymdownx.tabbed",
            "pymdownx.superfences",
            "verified_docs.extension",
        ],
        extension_configs={"verified_docs.extension": {"root": str(project)}},
    )
    html = md.convert((project / "docs" / "page.md").read_text())
    assert "[ID]" not in html  # the notation stays in the snippet
    assert html.index("Docker 28.5.2, containerd image store") < html.index(
        "Docker 20.10.24, classic"
    )
    assert "9f8e7d" in html
    assert "4b5c1e" in html
