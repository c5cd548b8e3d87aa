"""The pytest plugin: claims named by tests, per-test records, incremental runs, bad input."""

from __future__ import annotations

import json

import pytest

from verified_docs.report import load_report, overall_status

pytest_plugins = ["pytester"]

PAGE = "A tag moves; an ID doesn't.\n{ .claim #tag-moves }\n"
PROOFS = """
import pytest

@pytest.mark.claim("tag-moves")
def test_passes():
    pass

@pytest.mark.claim("tag-moves")
def test_fails():
    assert False
"""


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # no engine needed
    pytester.makefile(".md", **{"docs/page": PAGE})
    pytester.mkdir("snippets")
    pytester.makepyfile(test_proofs=PROOFS)
    return pytester


def status(project) -> str:
    report = load_report(project.path / "report.json")
    assert report is not None

    def digest(path: str) -> str | None:
        import hashlib

        file = project.path / path
        return hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None

    return overall_status(report, "tag-moves", digest)


def run(project, *args: str):
    return project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--claims-report=report.json", *args
    )


def test_rerunning_one_test_keeps_the_failure_of_its_sibling(project):
    """The bug of the old report writer: an incremental run recomputed the claim from the one
    test it re-ran, forgot the failing sibling and read the claim as verified."""
    run(project)
    assert status(project) == "failing"
    run(project, "-k", "test_passes")
    assert status(project) == "failing"


def test_editing_the_test_file_makes_the_claim_stale(project):
    project.makepyfile(test_proofs=PROOFS.replace("assert False", "pass"))
    run(project)
    assert status(project) == "verified"
    project.makepyfile(test_proofs=PROOFS.replace("assert False", "pass  # edited"))
    assert status(project) == "stale"


def test_editing_the_page_makes_the_claim_stale(project):
    project.makepyfile(test_proofs=PROOFS.replace("assert False", "pass"))
    run(project)
    project.makefile(".md", **{"docs/page": "Edited.\n\n" + PAGE})
    assert status(project) == "stale"


def test_a_deselected_proof_that_never_ran_leaves_the_claim_unverified(project):
    project.makepyfile(test_proofs=PROOFS.replace("assert False", "pass"))
    run(project, "-k", "test_passes")
    assert status(project) == "unverified"


def test_records_carry_engine_inputs_and_claims(project):
    run(project)
    records = json.loads((project.path / "report.json").read_text())["records"]
    assert {r["nodeid"] for r in records} == {
        "test_proofs.py::test_passes",
        "test_proofs.py::test_fails",
    }
    for record in records:
        assert record["claims"] == ["tag-moves"]
        assert record["engine"]
        assert {"docs/page.md", "test_proofs.py"} <= set(record["inputs"])


def test_an_unknown_claim_names_file_and_line(project):
    project.makepyfile(
        test_proofs='import pytest\n\n@pytest.mark.claim("nope")\ndef test_x():\n    pass\n'
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "test_proofs.py:3: test_x names claim 'nope', which no page" in result.stderr.str()


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        (
            "# --8<-- [start:a] proves: nope\n$ true\n# --8<-- [end:a]\n",
            "proves 'nope', which no page makes",
        ),
        (
            "# --8<-- [start:a] proves: tag-moves\n$ true\n# --8<-- [end:a]\n"
            "# --8<-- [start:b] proves: tag-moves\n$ true\n# --8<-- [end:b]\n",
            "'tag-moves' is bound twice in this snippet",
        ),
        ("$ true\n", "a transcript that proves no claim"),
    ],
)
def test_bad_bindings_name_file_and_line(project, snippet, message):
    project.makefile(".console", **{"snippets/x/x": snippet})
    project.makefile(
        ".md", **{"docs/page": PAGE + '\n```console\n--8<-- "snippets/x/x.console"\n```\n'}
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*snippets/x/x.console:*: *{message}*"])


def test_a_snippet_no_page_includes_is_an_error(project):
    project.makefile(
        ".console",
        **{"snippets/x/x": "# --8<-- [start:a] proves: tag-moves\n$ true\n# --8<-- [end:a]\n"},
    )
    result = run(project)
    result.stderr.fnmatch_lines(["*snippets/x/x.console:1: no page includes this snippet"])


def test_an_include_of_a_missing_section_names_the_page_line(project):
    project.makefile(
        ".console",
        **{"snippets/x/x": "# --8<-- [start:a] proves: tag-moves\n$ true\n# --8<-- [end:a]\n"},
    )
    project.makefile(
        ".md", **{"docs/page": PAGE + '\n```console\n--8<-- "snippets/x/x.console:b"\n```\n'}
    )
    result = run(project)
    assert "docs/page.md:5: snippets/x/x.console has no section [start:b]" in result.stderr.str()


def test_a_test_runs_only_on_the_engines_its_claims_hold_on(project, monkeypatch):
    project.makefile(
        ".md", **{"docs/page": PAGE.replace("#tag-moves", '#tag-moves data-engines="20.10"')}
    )
    project.makepyfile(test_proofs=PROOFS.replace("assert False", "pass"))
    monkeypatch.setenv("VERIFIED_DOCS_ENGINE", "28.5-containerd")
    result = run(project)
    result.stdout.fnmatch_lines(["*2 deselected*"])
    monkeypatch.setenv("VERIFIED_DOCS_ENGINE", "20.10")
    result = run(project)
    result.stdout.fnmatch_lines(["*2 passed*"])


def test_a_branch_taken_is_recorded_and_an_undeclared_one_is_refused(project):
    project.makepyfile(
        test_proofs="""
import pytest

@pytest.mark.claim("tag-moves")
@pytest.mark.branches("classic store", "containerd store")
def test_branches(branch):
    branch("classic store")

@pytest.mark.claim("tag-moves")
def test_undeclared(branch):
    branch("anything")
"""
    )
    run(project)
    records = {
        r["nodeid"]: r for r in json.loads((project.path / "report.json").read_text())["records"]
    }
    assert records["test_proofs.py::test_branches"]["branches_reached"] == ["classic store"]
    assert records["test_proofs.py::test_branches"]["branches_declared"] == [
        "classic store",
        "containerd store",
    ]
    assert records["test_proofs.py::test_undeclared"]["outcome"] == "failed"
