"""Console transcripts: commands with their expected output, run for real and compared.

Format (after trycmd and scrut):

    $ docker run --rm busybox:1.35 cat /nope
    cat: can't open '/nope': No such file or directory
    ? 1

- `$ ` starts a command; a line ending in ` \\` continues it.
- The lines up to the next command are its expected output (stdout and stderr together).
- `? N` as the last expected line states a non-zero exit status; without it, 0 is expected.
- `...` on a line of its own matches any number of lines; `[..]` within a line matches any text.
- Volatile values are compared as placeholders: [ID], [DIGEST], [SIZE], [TIME], [NAME];
  notices that depend on the CLI's version (the legacy builder's deprecation) are dropped.
- pymdownx.snippets section markers (`--8<-- [start:name]`) are ignored.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

SECTION_MARKER = re.compile(r"--8<--\s*\[(start|end):[a-z0-9_-]*\]")
EXIT_LINE = re.compile(r"^\? (?P<code>\d+)$")
ELLIPSIS = "..."
INLINE_WILDCARD = "[..]"

# Order matters: digests before bare IDs, sizes and times before generated names.
NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"sha256:[0-9a-f]{64}"), "[DIGEST]"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "[ID]"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "[ID]"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "[TIME]"),
    (
        re.compile(
            r"\b(About an? \w+|Less than a second|\d+ (second|minute|hour|day|week|month|year)s?)"
            r"( ago)?\b"
        ),
        "[TIME]",
    ),
    (re.compile(r"\b\d+(\.\d+)?\s?(B|[kKMGT]i?B)\b"), "[SIZE]"),
    # Docker's generated container names: adjective_surname, e.g. focused_turing.
    (re.compile(r"\b[a-z]+_(?:[a-z]+)\d*\b(?=\s*$)"), "[NAME]"),
)


# Notices that depend on the CLI's version rather than on what the command did.
CLI_NOTICES = re.compile(
    r"^DEPRECATED: The legacy builder is deprecated.*\n(?:[ \t]+\S.*\n)*", re.MULTILINE
)


class TranscriptSyntaxError(ValueError):
    """A transcript that can't be parsed; the message names the file and line."""


@dataclass
class Step:
    command: str
    line: int  # 1-based line of the command in the transcript file
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0


@dataclass
class Transcript:
    path: Path
    steps: list[Step]

    def location(self, step: Step) -> str:
        return f"{self.path}:{step.line}"


def parse_transcript(path: Path) -> Transcript:
    steps: list[Step] = []
    continuing = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if SECTION_MARKER.search(line):
            continue
        if continuing:
            steps[-1].command += "\n" + line
            continuing = line.endswith("\\")
            continue
        if line.startswith("$ "):
            steps.append(Step(command=line[2:], line=number))
            continuing = line.endswith("\\")
            continue
        if not steps:
            if line:
                raise TranscriptSyntaxError(
                    f"{path}:{number}: expected a command starting with '$ ', got {line!r}"
                )
            continue
        step = steps[-1]
        exit_line = EXIT_LINE.match(line)
        if exit_line:
            if step.exit_code:
                raise TranscriptSyntaxError(f"{path}:{number}: a second '? N' for one command")
            step.exit_code = int(exit_line["code"])
        elif step.exit_code:
            raise TranscriptSyntaxError(
                f"{path}:{number}: '? {step.exit_code}' must be the last line of the output"
            )
        else:
            step.expected.append(line)
    if not steps:
        raise TranscriptSyntaxError(f"{path}:1: no commands (lines starting with '$ ')")
    for step in steps:
        while step.expected and not step.expected[-1]:
            step.expected.pop()
    return Transcript(path, steps)


def normalise(output: str) -> list[str]:
    lines = []
    output = CLI_NOTICES.sub("", output.replace("\r\n", "\n"))
    for line in output.splitlines():
        for pattern, placeholder in NORMALISERS:
            line = pattern.sub(placeholder, line)
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _line_matches(expected: str, actual: str) -> bool:
    if INLINE_WILDCARD not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split(INLINE_WILDCARD))
    return re.fullmatch(pattern, actual) is not None


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Match line by line; a `...` line matches any number of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == ELLIPSIS:
        return any(output_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and _line_matches(head, actual[0]) and output_matches(rest, actual[1:])


def render(step: Step, output: list[str], exit_code: int) -> list[str]:
    lines = [f"$ {step.command}", *output]
    if exit_code:
        lines.append(f"? {exit_code}")
    return lines


def diff(step: Step, actual: list[str], actual_exit: int) -> str:
    expected = render(step, step.expected, step.exit_code)
    got = render(step, actual, actual_exit)
    return "\n".join(difflib.unified_diff(expected, got, "expected", "actual", lineterm="", n=3))


def rewrite_outputs(path: Path, actual: dict[int, tuple[list[str], int]]) -> None:
    """Replace the expected output of the commands at the given lines with what really ran."""
    lines = path.read_text(encoding="utf-8").splitlines()
    transcript = parse_transcript(path)
    # Work from the bottom up so line numbers stay valid.
    for index in reversed(range(len(transcript.steps))):
        step = transcript.steps[index]
        if step.line not in actual:
            continue
        output, exit_code = actual[step.line]
        start = step.line + step.command.count("\n")  # first line after the command
        end = (
            transcript.steps[index + 1].line - 1
            if index + 1 < len(transcript.steps)
            else len(lines)
        )
        # Keep section markers and blank lines that sit between this step and the next.
        while end > start and (not lines[end - 1].strip() or SECTION_MARKER.search(lines[end - 1])):
            end -= 1
        lines[start:end] = output + ([f"? {exit_code}"] if exit_code else [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
