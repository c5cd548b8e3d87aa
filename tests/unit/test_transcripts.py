"""The transcript format: per-engine output, and the update mode writing one engine's own."""

from __future__ import annotations

import pytest

from verified_docs import transcripts

TRANSCRIPT = """\
# --8<-- [start:a] proves: x
$ docker image inspect --format '{{json .RepoDigests}}' greeting
[]
[on 28.5-containerd]
["greeting@[DIGEST]"]
$ false
? 1
# --8<-- [end:a]
"""


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "t.console"
    path.write_text(TRANSCRIPT)
    return path


DIGEST = "sha256:" + "3f" * 32


def test_an_engine_named_in_a_variant_expects_its_own_output(transcript):
    step = transcripts.parse_transcript(transcript).steps[0]
    assert step.expectation("20.10").lines == ["[]"]
    assert step.expectation("28.5-containerd").lines == ['["greeting@[DIGEST]"]']
    printed = [f'["greeting@{DIGEST}"]']
    assert transcripts.matches(step.expectation("28.5-containerd"), printed, 0)
    assert not transcripts.matches(step.expectation("20.10"), printed, 0)


def test_the_update_mode_writes_only_the_engine_that_ran(transcript):
    steps = transcripts.parse_transcript(transcript).steps
    transcripts.update(steps[0], "26.1", ["[other]"], 0)
    transcripts.update(steps[1], "26.1", [], 1)  # what the default says: no variant
    transcripts.rewrite_outputs(transcript, steps)
    assert transcript.read_text() == TRANSCRIPT.replace("[]\n", "[]\n[on 26.1]\n[other]\n")


def test_engines_that_print_the_same_share_one_variant(transcript):
    steps = transcripts.parse_transcript(transcript).steps
    transcripts.update(steps[0], "28.5", [f'["greeting@{DIGEST}"]'], 0)  # as printed
    assert steps[0].output_lines() == ["[]", "[on 28.5, 28.5-containerd]", '["greeting@[DIGEST]"]']


def test_a_variant_named_twice_names_the_file_and_line(tmp_path):
    path = tmp_path / "t.console"
    path.write_text("$ true\n[on 26.1]\nx\n[on 26.1]\ny\n")
    with pytest.raises(
        transcripts.TranscriptSyntaxError, match=r"t.console:4: a second \[on 26.1\]"
    ):
        transcripts.parse_transcript(path)


def test_names_mapped_back_in_a_table_keep_its_columns_aligned():
    from verified_docs.runner import map_tables

    raw = (
        "REPOSITORY         TAG       IMAGE ID       SIZE\n"
        "greeter-1a2b3c4d   latest    0123456789ab   1.98MB\n"
        "Untagged: greeter-1a2b3c4d:latest"
    )
    mapped = map_tables(raw, lambda text: text.replace("greeter-1a2b3c4d", "greeter"))
    assert mapped.split("\n") == [
        "REPOSITORY   TAG       IMAGE ID       SIZE",
        "greeter      latest    0123456789ab   1.98MB",
        "Untagged: greeter:latest",
    ]


def test_a_table_without_renamed_names_stays_as_printed():
    from verified_docs.runner import map_tables

    raw = "PID   COMMAND\n    1 sleep 300\n   12 ps -o pid,args"
    assert map_tables(raw, lambda text: text.replace("greeter-1a2b3c4d", "greeter")) == raw
