"""Console transcripts: commands with their expected output, run for real and compared.

Format (after trycmd and scrut):

    $ docker image inspect --format '{{json .RepoDigests}}' greeting
    []
    [on 28.5-containerd]
    ["greeting@[DIGEST]"]

- `$ ` starts a command; a line ending in ` \\` continues it.
- The lines up to the next command are its expected output (stdout and stderr together).
- `? N` as the last line of an output states a non-zero exit status; without it, 0 is expected.
- `[on NAME, NAME]` starts the output that those engines print instead (names as in
  `scripts/engines.sh`); the lines before the first one are every other engine's.
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

from verified_docs.document import VARIANT as VARIANT_LINE

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
class Expected:
    lines: list[str] = field(default_factory=list)
    exit_code: int = 0

    def render(self) -> list[str]:
        return self.lines + ([f"? {self.exit_code}"] if self.exit_code else [])


@dataclass
class Step:
    command: str
    line: int  # 1-based line of the command in the transcript file
    expected: Expected = field(default_factory=Expected)
    variants: dict[str, Expected] = field(default_factory=dict)  # engine -> what it prints

    def expectation(self, engine: str | None) -> Expected:
        return self.variants.get(engine or "", self.expected)

    def output_lines(self) -> list[str]:
        """The step's output block as written: the default, then each variant once."""
        lines = self.expected.render()
        groups: dict[tuple[str, ...], list[str]] = {}
        for engine, expected in sorted(self.variants.items()):
            groups.setdefault(tuple(expected.render()), []).append(engine)
        for rendered, engines in groups.items():
            lines += [f"[on {', '.join(engines)}]", *rendered]
        return lines


@dataclass
class Transcript:
    path: Path
    steps: list[Step]

    def engines_named(self) -> set[str]:
        return {engine for step in self.steps for engine in step.variants}


def parse_output(lines: list[tuple[int, str]], where: Path) -> tuple[Expected, dict[str, Expected]]:
    """A step's output block -> the default expectation and each engine's variant."""
    default = Expected()
    variants: dict[str, Expected] = {}
    current = default
    for number, line in lines:
        variant = VARIANT_LINE.match(line)
        if variant:
            current = Expected()
            for engine in variant["engines"].split(", "):
                if engine in variants:
                    raise TranscriptSyntaxError(f"{where}:{number}: a second [on {engine}]")
                variants[engine] = current
            continue
        exit_line = EXIT_LINE.match(line)
        if exit_line:
            if current.exit_code:
                raise TranscriptSyntaxError(f"{where}:{number}: a second '? N' for one command")
            current.exit_code = int(exit_line["code"])
        elif current.exit_code:
            raise TranscriptSyntaxError(
                f"{where}:{number}: '? {current.exit_code}' must be the last line of the output"
            )
        else:
            current.lines.append(line)
    for expected in (default, *variants.values()):
        while expected.lines and not expected.lines[-1]:
            expected.lines.pop()
    return default, variants


def parse_transcript(path: Path) -> Transcript:
    steps: list[Step] = []
    outputs: list[list[tuple[int, str]]] = []
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
            outputs.append([])
            continuing = line.endswith("\\")
            continue
        if not steps:
            if line:
                raise TranscriptSyntaxError(
                    f"{path}:{number}: expected a command starting with '$ ', got {line!r}"
                )
            continue
        outputs[-1].append((number, line))
    if not steps:
        raise TranscriptSyntaxError(f"{path}:1: no commands (lines starting with '$ ')")
    for step, output in zip(steps, outputs, strict=True):
        step.expected, step.variants = parse_output(output, path)
    return Transcript(path, steps)


def as_printed(output: str) -> list[str]:
    """Output as a reader sees it: lines without trailing blanks or the CLI's notices."""
    lines = [
        line.rstrip() for line in CLI_NOTICES.sub("", output.replace("\r\n", "\n")).splitlines()
    ]
    while lines and not lines[-1]:
        lines.pop()
    return lines


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


def matches(expected: Expected, actual: list[str], exit_code: int) -> bool:
    return exit_code == expected.exit_code and output_matches(expected.lines, actual)


def render(step: Step, output: list[str], exit_code: int) -> list[str]:
    return [f"$ {step.command}", *Expected(output, exit_code).render()]


def diff(step: Step, engine: str | None, actual: list[str], actual_exit: int) -> str:
    expected = [f"$ {step.command}", *step.expectation(engine).render()]
    got = render(step, actual, actual_exit)
    return "\n".join(difflib.unified_diff(expected, got, "expected", "actual", lineterm="", n=3))


def update(step: Step, engine: str | None, actual: list[str], exit_code: int) -> None:
    """Make the step expect what `engine` printed: the default when no engine is named or the
    step expects nothing yet, else that engine's own variant (dropped again when it prints what
    the default says)."""
    printed = Expected(actual, exit_code)
    unwritten = not step.expected.render() and not step.variants
    if engine is None or unwritten:
        step.expected = printed
    elif matches(step.expected, actual, exit_code):
        step.variants.pop(engine, None)
    else:
        step.variants[engine] = printed


def rewrite_outputs(path: Path, updated: list[Step]) -> None:
    """Write the output blocks of the given steps (parsed from this file as it is now, found
    by their command's line) back."""
    lines = path.read_text(encoding="utf-8").splitlines()
    transcript = parse_transcript(path)
    by_line = {step.line: step for step in updated}
    # Work from the bottom up so line numbers stay valid.
    for index in reversed(range(len(transcript.steps))):
        step = transcript.steps[index]
        if step.line not in by_line:
            continue
        start = step.line + step.command.count("\n")  # first line after the command
        end = (
            transcript.steps[index + 1].line - 1
            if index + 1 < len(transcript.steps)
            else len(lines)
        )
        # Keep section markers and blank lines that sit between this step and the next.
        while end > start and (not lines[end - 1].strip() or SECTION_MARKER.search(lines[end - 1])):
            end -= 1
        lines[start:end] = by_line[step.line].output_lines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
