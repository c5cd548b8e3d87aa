"""Typed and named placeholders, and the relations named ones state; a step's exit status."""

from __future__ import annotations

import subprocess

import pytest

from verified_docs import transcripts
from verified_docs.runner import SHELL

LEFT = "3f2c" + "a" * 60  # a container's ID
RIGHT = "9ab1" + "b" * 60


def expected(*lines: str, first: int = 10) -> transcripts.Expected:
    return transcripts.Expected(list(lines), numbers=list(range(first, first + len(lines))))


@pytest.mark.parametrize(
    ("line", "printed", "fits"),
    [
        ("[IPV4]", "172.17.0.2", True),
        ("[IPV4]", "1.2.3", False),
        ("[IPV4]", "a.b.c.d", False),  # what `[..].[..].[..].[..]` matched
        ("[IPV4]", "300.1.1.1", False),
        ("[ID]", LEFT[:12], True),
        ("[ID]", LEFT[:13], False),
        ("[DIGEST]", f"sha256:{LEFT}", True),
        ("[INT] bytes", "67108864 bytes", True),
        ("[INT] bytes", "64MB bytes", False),
        ("[SIZE]", "4.26MB", True),
        ("[TIME]", "2024-05-01T10:00:00.123456789Z", True),
        ("[PID] ps -o pid,args", "    7 ps -o pid,args", True),  # padded to a column's width
        ("[PID] ps -o pid,args", "12345 ps -o pid,args", True),
        ("[PID] ps -o pid,args", "    x ps -o pid,args", False),
        ("    1 sleep 300", "     1 sleep 300", False),  # spaces stretch beside placeholders only
        ("a [ID]   [TIME] z", f"a {LEFT[:12]} 5 seconds ago    z", True),
        ("[..] ps", "anything ps", True),
        ("[OK] done", "[OK] done", True),  # brackets of an unknown type are text
    ],
)
def test_a_typed_placeholder_matches_values_of_its_type(line, printed, fits):
    assert transcripts.matches(expected(line), [printed], 0) is fits


def test_one_name_must_match_one_value_across_the_steps_of_a_run():
    relations = transcripts.Relations()
    assert relations.check(expected("[ID:left]", first=3), [LEFT], 0) == (True, "")
    assert relations.check(expected("[ID:left]", first=23), [LEFT[:12]], 0) == (True, "")
    fits, broken = relations.check(expected("[ID:left]", first=30), [RIGHT[:12]], 0)
    assert fits
    assert broken == (
        f"[ID:left] was {LEFT} at line 3 but [ID:left] is {RIGHT[:12]} at line 30: "
        "one name, one value"
    )


def test_different_names_must_match_different_values():
    relations = transcripts.Relations()
    fits, broken = relations.check(expected("[IPV4:left]", "[IPV4:right]"), ["10.0.0.2"] * 2, 0)
    assert fits
    assert broken == (
        "[IPV4:left] at line 10 and [IPV4:right] at line 11 are both 10.0.0.2: "
        "different names, different values"
    )
    assert (
        relations.check(expected("[IPV4:left]", "[IPV4:right]"), ["10.0.0.2", "10.0.0.3"], 0)[1]
        == ""
    )


def test_a_short_id_is_the_id_or_digest_it_begins():
    relations = transcripts.Relations()
    lines = expected("[DIGEST:img]", "[ID:img] [ID:other]")
    assert relations.check(lines, [f"sha256:{LEFT}", f"{LEFT[:12]} {RIGHT[:12]}"], 0) == (True, "")
    _, broken = relations.check(expected("[ID:other]"), [LEFT[:12]], 0)
    assert "different names, different values" in broken


def test_unnamed_placeholders_and_other_kinds_are_unconstrained():
    relations = transcripts.Relations()
    lines = expected("[ID] [ID]", "[PID:a] [INT:b]")
    assert relations.check(lines, [f"{LEFT[:12]} {RIGHT[:12]}", "7 7"], 0) == (True, "")
    assert relations.check(expected("[ID] [ID]"), [f"{LEFT[:12]} {LEFT[:12]}"], 0) == (True, "")


def test_a_match_that_keeps_the_relations_is_chosen_among_the_ellipsis_alignments():
    relations = transcripts.Relations()
    relations.check(expected("[IPV4:web]"), ["10.0.0.9"], 0)
    lines = expected("...", "[IPV4:web]", "...")
    assert relations.check(lines, ["10.0.0.8", "10.0.0.9", "10.0.0.7"], 0) == (True, "")


def test_the_exit_status_is_part_of_the_match():
    relations = transcripts.Relations()
    assert relations.check(transcripts.Expected(["x"], exit_code=1), ["x"], 0) == (False, "")
    assert relations.check(transcripts.Expected(["x"], exit_code=1), ["x"], 1) == (True, "")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[HOST:a]", r"t.console:2: unknown placeholder type in \[HOST:a\]"),
        ("[ID:Web]", r"t.console:2: a placeholder's name is lowercase .* not 'Web'"),
    ],
)
def test_a_named_placeholder_of_unknown_type_or_bad_name_names_the_line(tmp_path, line, message):
    path = tmp_path / "t.console"
    path.write_text(f"$ true\n{line}\n")
    with pytest.raises(transcripts.TranscriptSyntaxError, match=message):
        transcripts.parse_transcript(path)


def test_a_diff_shows_only_the_lines_that_differ(tmp_path):
    path = tmp_path / "t.console"
    path.write_text("$ docker exec left hostname -i\n[IPV4:left]\nok\n")
    step = transcripts.parse_transcript(path).steps[0]
    diff = transcripts.diff(step, None, ["10.0.0.2", "not ok"], 0)
    assert diff.splitlines()[3:] == [
        " $ docker exec left hostname -i",
        " [IPV4:left]",
        "-ok",
        "+not ok",
    ]


def test_the_update_mode_writes_volatile_values_as_placeholders(tmp_path):
    path = tmp_path / "t.console"
    path.write_text("$ docker run -d busybox:1.35 sleep 300\n")
    step = transcripts.parse_transcript(path).steps[0]
    transcripts.update(step, "26.1", [LEFT], 0)
    assert step.output_lines() == ["[ID]"]


@pytest.mark.parametrize(
    ("command", "status", "printed"),
    [
        ("false | true", 1, ""),  # any command of a pipeline
        ("false; echo after", 1, ""),  # any command of a list
        ("false || echo fallback", 0, "fallback\n"),  # a tested command is a condition
        ("cmp -s /dev/null /etc/hostname && echo same", 1, ""),
        ("echo a | grep -q b", 1, ""),
    ],
)
def test_a_failing_command_anywhere_in_a_step_fails_it(command, status, printed):
    result = subprocess.run([*SHELL, command], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (status, printed)
