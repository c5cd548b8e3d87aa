"""The claims extension renders status and evidence, escapes output, and gates publishing."""

from __future__ import annotations

import copy

import markdown
import pytest

from verified_docs.extension import ClaimsNotVerified
from verified_docs.inputs import inputs_digest
from verified_docs.report import Report, save_report

PAGE = "A tag moves; an ID doesn't.\n{ .claim #tag-moves }\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "page.md").write_text(PAGE)
    (tmp_path / "docs" / "verification.md").write_text("[[verification-report]]\n")
    return tmp_path


def a_report(project, status="verified", evidence="ok") -> Report:
    return {
        "schema": 1,
        "generated_at": "2026-11-27T10:00:00+00:00",
        "git_commit": "0123456789abcdef",
        "git_dirty": False,
        "inputs_digest": inputs_digest(project),
        "engine": {
            "version": "20.10.24",
            "api_version": "1.41",
            "os_arch": "linux/amd64",
            "operating_system": "Debian GNU/Linux 12 (bookworm)",
            "kernel": "6.1",
            "storage_driver": "overlay2",
            "cgroup": "1",
        },
        "base_images": {},
        "measurements": {},
        "claims": {
            "tag-moves": {
                "status": status,
                "page": "page.md",
                "tests": [
                    {"nodeid": "tests/test_x.py::test_y", "outcome": "passed", "duration": 1}
                ],
                "evidence": [{"test": "tests/test_x.py::test_y", "label": "out", "text": evidence}],
            }
        },
    }


def render(project, page, publish=False):
    md = markdown.Markdown(
        extensions=["attr_list", "verified_docs.extension"],
        extension_configs={
            "verified_docs.extension": {
                "docs_dir": str(project / "docs"),
                "report": str(project / "reports" / "verification.json"),
                "publish": publish,
            }
        },
    )
    return md.convert((project / "docs" / page).read_text())


def write(project, report):
    save_report(report, project / "reports" / "verification.json")


def test_a_verified_claim_gets_a_badge_linking_to_its_evidence(project):
    write(project, a_report(project))
    html = render(project, "page.md", publish=True)
    assert 'id="tag-moves"' in html
    assert 'href="verification.md#tag-moves"' in html
    assert "✓ verified" in html
    assert "Docker Engine 20.10.24 (linux/amd64), 2026-11-27, commit 0123456789ab" in html


def test_the_report_page_links_back_and_escapes_captured_output(project):
    write(project, a_report(project, evidence="<script>alert('x')</script>"))
    html = render(project, "verification.md", publish=True)
    assert 'href="page.md#tag-moves"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html


@pytest.mark.parametrize("status", ["failing", "unverified"])
def test_publishing_fails_on_a_claim_that_is_not_verified(project, status):
    write(project, a_report(project, status=status))
    assert f"? {status}" in render(project, "page.md") or "✗ failing" in render(project, "page.md")
    with pytest.raises(ClaimsNotVerified, match=rf"docs/page.md: claim 'tag-moves' .* is {status}"):
        render(project, "page.md", publish=True)


def test_publishing_fails_without_a_report(project):
    assert "? unverified" in render(project, "page.md")
    with pytest.raises(ClaimsNotVerified, match="there is no verification report"):
        render(project, "page.md", publish=True)


def test_publishing_fails_when_the_pages_changed_after_the_report(project):
    write(project, a_report(project))
    (project / "snippets" / "new.console").write_text("$ true\n")
    with pytest.raises(ClaimsNotVerified, match="made from other docs or snippets"):
        render(project, "verification.md", publish=True)


def test_publishing_fails_when_a_test_proves_a_claim_no_page_makes(project):
    report = a_report(project)
    report["claims"]["ghost"] = copy.deepcopy(report["claims"]["tag-moves"])
    write(project, report)
    with pytest.raises(ClaimsNotVerified, match="proves claim 'ghost', which no page makes"):
        render(project, "verification.md", publish=True)


def test_measurements_come_from_the_report(project):
    report = a_report(project)
    report["measurements"] = {
        "container-start": {"value": 412.5, "unit": "ms", "test": "t::m", "name": "x"}
    }
    (project / "docs" / "speed.md").write_text("Start: [[measured:container-start]].\n")
    report["inputs_digest"] = inputs_digest(project)
    write(project, report)
    assert ">412.5 ms</span>" in render(project, "speed.md", publish=True)
