"""Failures explain themselves: what went wrong, where, and what to do."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from verified_docs.document import Guide
from verified_docs.runner import TranscriptMismatch, run_snippet
from verified_docs.transcripts import TranscriptSyntaxError, parse_transcript

from .conftest import CHILD_TIMEOUT, SCENARIOS, child_command, child_env

SCENARIO = "scenario_leaves_resources.py::test_passes_and_leaves_resources"


def test_no_engine_is_one_actionable_line_and_a_failure_before_collection(guide):
    scenario = SCENARIOS / SCENARIO
    done = subprocess.run(
        [*child_command(str(scenario)), "-n", "2"],
        cwd=guide.root,
        env=child_env(uuid.uuid4().hex[:8], DOCKER_HOST="unix:///nonexistent/d.sock", CI="true"),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 4, output  # pytest's usage error: a failure, in CI too
    assert len(output.strip().splitlines()) == 1, output
    assert "No Docker engine answers at unix:///nonexistent/d.sock" in output
    assert "scripts/engines.sh up" in output
    assert "collected" not in output, output
    assert "INTERNALERROR" not in output, output


def test_an_unknown_claim_id_names_the_test_file_and_line(run_child):
    child = run_child("scenario_unknown_claim.py")
    assert child.returncode == 4, child.output  # pytest's usage error
    assert "scenario_unknown_claim.py:6: test_names_an_unknown_claim names claim " in child.output
    assert "'no-page-makes-this-claim', which no page in docs/ makes" in child.output


def test_under_xdist_an_unknown_claim_fails_its_test_in_one_line(guide):
    scenario = SCENARIOS / "scenario_unknown_claim.py"
    done = subprocess.run(
        [*child_command(str(scenario)), "-n", "2"],
        cwd=guide.root,
        env=child_env("xdist" + uuid.uuid4().hex[:8]),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # a failed test, not an internal error
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    assert "test_names_an_unknown_claim names claim 'no-page-makes-this-claim'" in output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\n$ true\n", ":1: expected a command starting with '$ '"),
        ("$ false\n? 1\n? 2\n", ":3: a second '? N' for one command"),
        ("$ false\n? 1\noops\n", ":3: '? 1' must be the last line of the output"),
        ("# only a comment\n", ":1: expected a command"),
    ],
)
def test_a_malformed_transcript_names_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "broken.console"
    path.write_text(text)
    with pytest.raises(TranscriptSyntaxError) as error:
        parse_transcript(path)
    assert str(error.value).startswith(f"{path}{message}")


def test_a_hanging_snippet_is_killed_at_its_timeout(docker_client, tmp_path):
    snippet = tmp_path / "snippets" / "hangs" / "hangs.console"
    snippet.parent.mkdir(parents=True)
    snippet.write_text(
        "# --8<-- [start:a] proves: hangs\n$ echo before\nbefore\n$ sleep 60\n# --8<-- [end:a]\n"
    )
    page = tmp_path / "docs" / "hangs.md"
    page.parent.mkdir()
    page.write_text(
        'Hangs.\n{ .claim #hangs }\n\n```console\n--8<-- "snippets/hangs/hangs.console"\n```\n'
    )
    guide = Guide.load(tmp_path)
    with pytest.raises(TranscriptMismatch) as error:
        run_snippet(
            guide.snippets["snippets/hangs/hangs.console"], guide, docker_client, {}, timeout=2
        )
    assert str(error.value) == (
        "snippets/hangs/hangs.console:4 (on docs/hangs.md): `sleep 60` did not finish "
        "within 2 s and was killed"
    )
