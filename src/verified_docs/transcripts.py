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
- Volatile values are matched by typed placeholders (TYPES): `[ID]`, `[DIGEST]`, `[IPV4]`, ...
  A named one, `[ID:web]`, states a relation: in one run of the file, placeholders with the
  same name match the same value, and different names of one kind different values (an ID and
  a digest are one kind: `[ID:x]` may be the 12-digit short form of `[DIGEST:x]`). Spaces
  beside a placeholder stretch, since columns are padded to the values' widths.
- Notices that depend on the CLI's version (the legacy builder's deprecation) are dropped.
- pymdownx.snippets section markers (`--8<-- [start:name]`) are ignored.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from verified_docs.document import VARIANT as VARIANT_LINE

SECTION_MARKER = re.compile(r"--8<--\s*\[(start|end):[a-z0-9_-]*\]")
EXIT_LINE = re.compile(r"^\? (?P<code>\d+)$")
ELLIPSIS = "..."

# What each placeholder matches. The first five are also what the update mode writes for the
# values it finds, in this order: digests before bare IDs, sizes and times before names.
TYPES: dict[str, str] = {
    "DIGEST": r"sha256:[0-9a-f]{64}",
    "ID": r"\b(?:[0-9a-f]{64}|[0-9a-f]{12})\b",
    "TIME": (
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"
        r"|\b(?:About an? \w+|Less than a second|\d+ (?:second|minute|hour|day|week|month|year)s?)"
        r"(?: ago)?\b"
    ),
    "SIZE": r"\b\d+(?:\.\d+)?\s?(?:B|[kKMGT]i?B)\b",
    # Docker's generated container names: adjective_surname, e.g. focused_turing.
    "NAME": r"\b[a-z]+_[a-z]+\d*\b(?=\s*$)",
    "IPV4": r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
    "PID": r"\b\d+\b",
    "INT": r"\b\d+\b",
}
NORMALISED = ("DIGEST", "ID", "TIME", "SIZE", "NAME")
NORMALISERS = tuple((re.compile(TYPES[name]), f"[{name}]") for name in NORMALISED)
# Values of one kind are compared with each other; a type is its own kind unless listed here.
KINDS = {"ID": "digest", "DIGEST": "digest"}
PLACEHOLDER = re.compile(r"\[(?:\.\.|(?P<type>[A-Z][A-Z0-9]*)(?::(?P<name>[^\]]*))?)\]")
PLACEHOLDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


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
    numbers: list[int] = field(default_factory=list)  # each line's line in the file, if read

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
            _check_placeholders(line, f"{where}:{number}")
            current.lines.append(line)
            current.numbers.append(number)
    for expected in (default, *variants.values()):
        while expected.lines and not expected.lines[-1]:
            expected.lines.pop()
            expected.numbers.pop()
    return default, variants


def _check_placeholders(line: str, where: str) -> None:
    """A named placeholder must have a known type and a name of lowercase words."""
    for match in PLACEHOLDER.finditer(line):
        kind, name = match["type"], match["name"]
        if name is None:
            continue
        if kind not in TYPES:
            raise TranscriptSyntaxError(
                f"{where}: unknown placeholder type in {match[0]} (known: {', '.join(TYPES)})"
            )
        if not PLACEHOLDER_NAME.fullmatch(name):
            raise TranscriptSyntaxError(
                f"{where}: a placeholder's name is lowercase letters, digits, '-' and '_', "
                f"not {name!r}"
            )


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


def normalise(lines: list[str]) -> list[str]:
    """Printed lines with each volatile value replaced by its placeholder: what the update mode
    writes, and what a failure's diff shows of lines that match nothing expected."""
    normalised = []
    for line in lines:
        for pattern, placeholder in NORMALISERS:
            line = pattern.sub(placeholder, line)
        normalised.append(line)
    return normalised


@dataclass(frozen=True)
class Value:
    """What a named placeholder matched in a run, and the transcript line that expects it."""

    type: str
    name: str
    text: str
    line: int

    def __str__(self) -> str:
        return f"[{self.type}:{self.name}]"

    @property
    def kind(self) -> str:
        return KINDS.get(self.type, self.type)

    def same_as(self, other: Value) -> bool:
        """Equal; an ID is the same as the digest or ID it is the short form of."""
        if self.kind != "digest":
            return self.text == other.text
        mine, theirs = (v.text.removeprefix("sha256:") for v in (self, other))
        return mine.startswith(theirs) or theirs.startswith(mine)


@functools.cache
def _line_pattern(expected: str) -> tuple[re.Pattern[str], tuple[tuple[str, str], ...]]:
    """One expected line as a regular expression, with the (type, name) of each named
    placeholder in the order of its group. Spaces beside a placeholder stretch: one or more
    where the line has some, any number where it has none."""
    pieces: list[str | re.Match[str]] = []  # literal text and placeholders, alternating
    last = 0
    for match in PLACEHOLDER.finditer(expected):
        if match["type"] and match["type"] not in TYPES:
            continue  # text in brackets, such as [OK]
        pieces += [expected[last : match.start()], match]
        last = match.end()
    pieces.append(expected[last:])
    regex: list[str] = []
    named: list[tuple[str, str]] = []
    for index, piece in enumerate(pieces):
        if isinstance(piece, re.Match):
            if piece["type"] is None:
                regex.append(".*")
                continue
            value = TYPES[piece["type"]]
            if piece["name"] is None:
                regex.append(f"(?:{value})")
            else:
                regex.append(f"(?P<g{len(named)}>{value})")
                named.append((piece["type"], piece["name"]))
            continue
        after = index > 0 and _typed(pieces[index - 1])
        before = index + 1 < len(pieces) and _typed(pieces[index + 1])
        text = piece.lstrip(" ") if after else piece
        if after:
            regex.append(" +" if len(text) < len(piece) else " *")
        stripped = text.rstrip(" ") if before else text
        regex.append(re.escape(stripped))
        if before and (stripped or not after):
            regex.append(" +" if len(stripped) < len(text) else " *")
    return re.compile("".join(regex)), tuple(named)


def _typed(piece: str | re.Match[str]) -> bool:
    return isinstance(piece, re.Match) and piece["type"] is not None


def _line_values(expected: str, line: int, actual: str) -> list[Value] | None:
    """The values of the expected line's named placeholders in the actual line; None if the
    actual line doesn't match."""
    pattern, named = _line_pattern(expected)
    match = pattern.fullmatch(actual)
    if match is None:
        return None
    return [Value(type_, name, match[f"g{i}"], line) for i, (type_, name) in enumerate(named)]


def _alignments(expected: Expected, actual: list[str], start: int = 0) -> Iterator[list[Value]]:
    """Every way the actual lines match the expected lines from `start` on (a `...` line takes
    any number of lines), each as the values its named placeholders take."""
    if start == len(expected.lines):
        if not actual:
            yield []
        return
    head = expected.lines[start]
    if head == ELLIPSIS:
        for skipped in range(len(actual) + 1):
            yield from _alignments(expected, actual[skipped:], start + 1)
        return
    number = expected.numbers[start] if start < len(expected.numbers) else 0
    values = _line_values(head, number, actual[0]) if actual else None
    if values is not None:
        for more in _alignments(expected, actual[1:], start + 1):
            yield values + more


def matches(expected: Expected, actual: list[str], exit_code: int) -> bool:
    """Whether the printed lines and the exit status match, relations aside."""
    return exit_code == expected.exit_code and next(_alignments(expected, actual), None) is not None


class Relations:
    """The values a run's named placeholders took, step by step: in one run of a file, one name
    stands for one value, and different names of one kind for different values."""

    def __init__(self) -> None:
        self.values: list[Value] = []

    def check(self, expected: Expected, actual: list[str], exit_code: int) -> tuple[bool, str]:
        """Whether the printed lines and the exit status match, and if they do, the relation
        their values break ("" if none: the values are kept for the next steps)."""
        if exit_code != expected.exit_code:
            return False, ""
        first_broken = ""
        fits = False
        for values in _alignments(expected, actual):
            fits = True
            broken = self.broken(values)
            if not broken:
                self.values += values
                return True, ""
            first_broken = first_broken or broken
        return fits, first_broken

    def broken(self, new: list[Value]) -> str:
        """The first relation the new values break with the values so far, or ""."""
        seen = list(self.values)
        for value in new:
            for other in seen:
                if other.kind != value.kind:
                    continue
                same = value.same_as(other)
                if other.name == value.name and not same:
                    return (
                        f"{other} was {other.text} at line {other.line} but {value} is "
                        f"{value.text} at line {value.line}: one name, one value"
                    )
                if other.name != value.name and same:
                    return (
                        f"{other} at line {other.line} and {value} at line {value.line} are both "
                        f"{value.text}: different names, different values"
                    )
            seen.append(value)
        return ""


def render(step: Step, output: list[str], exit_code: int) -> list[str]:
    return [f"$ {step.command}", *Expected(output, exit_code).render()]


def diff(step: Step, engine: str | None, actual: list[str], actual_exit: int) -> str:
    """Expected against printed output: a printed line that matches an expected line shows as
    that line, any other with its volatile values as placeholders."""
    expected = step.expectation(engine)
    shown = [
        next(
            (e for e in expected.lines if e != ELLIPSIS and _line_values(e, 0, line) is not None),
            normalised,
        )
        for line, normalised in zip(actual, normalise(actual), strict=True)
    ]
    return "\n".join(
        difflib.unified_diff(
            [f"$ {step.command}", *expected.render()],
            render(step, shown, actual_exit),
            "expected",
            "actual",
            lineterm="",
            n=3,
        )
    )


def update(step: Step, engine: str | None, actual: list[str], exit_code: int) -> None:
    """Make the step expect what `engine` printed (`actual`, as printed), with its volatile
    values as placeholders: the default when no engine is named or the step expects nothing
    yet, else that engine's own variant (dropped again when it prints what the default says).
    Named placeholders are not written: name them where the page states a relation."""
    printed = Expected(normalise(actual), exit_code)
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
