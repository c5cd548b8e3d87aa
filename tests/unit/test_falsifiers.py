"""Falsifiers are declared per page, name its claims, and edit something that exists."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from verified_docs.document import Guide
from verified_docs.falsifiers import (
    FALSIFIERS,
    FalsifierError,
    copy_project,
    falsifier_problems,
    load_falsifiers,
)

ROOT = Path(__file__).resolve().parents[2]

DECLARED = """
[[falsifier]]
claim = "{claim}"
why = "--init dropped: the command itself is PID 1"
file = "snippets/init.console"
replace = "{replace}"
with = "docker run -d"
"""


def a_project(tmp_path, claim="init-is-pid-1", replace="docker run -d --init"):
    (tmp_path / "docs").mkdir(parents=True)
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "page.md").write_text("Init is PID 1.\n{ .claim #init-is-pid-1 }\n")
    (tmp_path / "snippets" / "init.console").write_text("$ docker run -d --init busybox\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "tests").mkdir()
    declared = tmp_path / FALSIFIERS / "page.toml"
    declared.parent.mkdir(parents=True)
    declared.write_text(DECLARED.format(claim=claim, replace=replace))
    return tmp_path


def test_a_falsifier_edits_a_copy_never_the_project(tmp_path):
    root = a_project(tmp_path / "project")
    [falsifier] = load_falsifiers(root)
    assert falsifier_problems(Guide.load(root), [falsifier]) == []
    copy = copy_project(root, tmp_path / "copy")
    falsifier.apply(copy)
    assert (copy / "snippets/init.console").read_text() == "$ docker run -d busybox\n"
    assert (root / "snippets/init.console").read_text() == "$ docker run -d --init busybox\n"


def test_a_falsifier_of_another_page_or_of_nothing_is_named(tmp_path):
    root = a_project(tmp_path, claim="no-such-claim", replace="docker run --rm")
    falsifiers = load_falsifiers(root)
    assert falsifier_problems(Guide.load(root), falsifiers) == [
        "tests/proofs/falsifiers/page.toml: claim 'no-such-claim' is not made on docs/page.md",
        "tests/proofs/falsifiers/page.toml: no-such-claim: snippets/init.console lacks "
        "'docker run --rm'",
    ]
    with pytest.raises(FalsifierError, match="has no 'docker run --rm'"):
        falsifiers[0].apply(root)


def test_an_edit_that_breaks_a_python_module_is_named(tmp_path):
    root = a_project(tmp_path)
    (root / "tests" / "test_init.py").write_text("def test_init():\n    assert run(init=True)\n")
    falsifier = dataclasses.replace(
        load_falsifiers(root)[0],
        file="tests/test_init.py",
        replace="run(init=True)",
        with_="run(init=True",
    )
    assert falsifier_problems(Guide.load(root), [falsifier]) == [
        "tests/proofs/falsifiers/page.toml: init-is-pid-1: the edit leaves tests/test_init.py "
        "invalid"
    ]


def test_the_mutation_check_reads_failures_of_test_ids_with_spaces(monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "mutation_check", ROOT / "tools/mutation_check.py"
    )
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, tool)  # its dataclasses look it up
    spec.loader.exec_module(tool)
    spaced = "tests/proofs/x.py::test_history[classic builder]"
    plain = "tests/proofs/x.py::test_plain"
    output = f"FAILED {spaced} - AssertionError: 2 != 3\nERROR {plain}\n1 failed, 1 error"
    assert tool.outcomes(output, [spaced, plain, "tests/proofs/x.py::test_other"]) == (
        {spaced},
        {plain},
    )
