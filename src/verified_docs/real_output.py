"""Pages show what the verified run printed, not the snippets' notation.

A code block whose only content is the include of a snippet the suite runs becomes:

- a transcript (```console): each command with what the verified run printed, a non-zero exit
  status as a shell shows it (`$ echo $?`, then the number);
- a Python script (```python): its code without the `# > ` lines, then a console block with
  what `python script.py` printed.

One block when every engine expects the same output, else a tab per engine, the engine most
readers have first. The first such block of a page is followed by a note that IDs, digests and
sizes differ on the reader's machine. Without a current passing run (a preview build) a block
shows the commands or the code alone, and publish builds fail. The notation (`[ID]`, `? 1`,
`[on 28.5]`, `...`) stays in the snippet files, where the suite matches output against it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from markdown import Markdown
from markdown.preprocessors import Preprocessor

from verified_docs.document import (
    EXPECTED_PRINT,
    FENCE,
    INCLUDE,
    SECTION,
    VARIANT,
    Snippet,
)
from verified_docs.report import Report, StepOutput, is_current

if TYPE_CHECKING:
    from verified_docs.extension import ClaimsExtension, SiteState

READERS_ENGINE = "28.5-containerd"  # what a fresh install runs: its output comes first
LANGS = {".console": "console", ".py": "python"}  # the fence a runnable snippet is shown in
NOTE_CLASS = "real-output-note"
MISSING_CLASS = "real-output-missing"


def engine_order(engine: str) -> tuple[bool, list[int]]:
    """The engine most readers have first, then the newest."""
    return engine != READERS_ENGINE, [-int(n) for n in re.findall(r"\d+", engine)]


def engine_label(engine: str, facts: dict[str, str] | None) -> str:
    """`Docker 28.5.2, containerd image store`; the engine's name when the report lacks it."""
    if not facts:
        return engine
    store = facts.get("image_store", "classic")
    return f"Docker {facts['version'].split('+')[0]}, {store} image store"


@dataclass(frozen=True)
class Shown:
    """The sections of a snippet that a code block includes."""

    snippet: Snippet
    ranges: tuple[tuple[int, int], ...]  # (start marker, end marker); (0, past the end): all

    def __contains__(self, line: int) -> bool:
        return any(start < line < end for start, end in self.ranges)

    @property
    def lines(self) -> list[str]:
        return [line for start, end in self.ranges for line in self.snippet.lines[start : end - 1]]

    @property
    def differs(self) -> bool:
        """Whether the snippet expects some engine to print something else (`[on NAME]`)."""
        return any(VARIANT.match(_expected(self.snippet, line)) for line in self.lines)

    def code(self) -> list[str]:
        """A Python section's code, without its expected output and section markers."""
        kept: list[str] = []
        for line in self.lines:
            if EXPECTED_PRINT.match(line.strip()) or SECTION.search(line):
                continue
            if line.strip() or (kept and kept[-1].strip()):
                kept.append(line)
        while kept and not kept[-1].strip():
            kept.pop()
        return kept

    def commands(self) -> list[str]:
        """A transcript section's commands alone, continuation lines included."""
        kept: list[str] = []
        continuing = False
        for line in self.lines:
            if line.startswith("$ ") or continuing:
                kept.append(line)
                continuing = line.endswith("\\")
        return kept


def _expected(snippet: Snippet, line: str) -> str:
    text = line.strip()
    if snippet.kind == "python" and (match := EXPECTED_PRINT.match(text)):
        return match["text"] or ""
    return text


def included_snippet(
    lines: list[str], index: int, snippets: dict[str, Snippet]
) -> tuple[str, Shown, int] | None:
    """(indent, what it includes, the closing fence's index) when lines[index] opens a code
    block whose only content is includes of one runnable snippet, in that snippet's language."""
    opening = FENCE.match(lines[index])
    if not opening:
        return None
    includes: list[re.Match[str]] = []
    end = index + 1
    while end < len(lines) and (include := INCLUDE.match(lines[end])):
        includes.append(include)
        end += 1
    if not includes or end == len(lines) or lines[end].strip() != opening["fence"]:
        return None
    snippet = snippets.get(includes[0]["path"])
    if snippet is None or not snippet.kind or {i["path"] for i in includes} != {snippet.path}:
        return None
    if LANGS.get(PurePosixPath(snippet.path).suffix) != opening["lang"]:
        return None
    ranges: list[tuple[int, int]] = []
    for include in includes:
        if include["section"] is None:
            ranges.append((0, len(snippet.lines) + 1))
        elif section := snippet.section(include["section"]):
            ranges.append((section.start, section.end))
        else:
            return None  # pymdownx.snippets reports it
    return opening["indent"], Shown(snippet, tuple(ranges)), end


def recorded_steps(
    report: Report | None, shown: Shown, digest: Callable[[str], str | None]
) -> dict[str, list[StepOutput]]:
    """Each engine's real output of the shown section, step by step, from its current passing
    record of the snippet; an engine without one is left out."""
    if report is None:
        return {}
    found: dict[str, list[StepOutput]] = {}
    for record in report["records"]:
        if record["engine"] in found or record["outcome"] != "passed":
            continue
        for item in record["evidence"]:
            if item["label"] == shown.snippet.path and "steps" in item:
                if is_current(record, digest):
                    found[record["engine"]] = [s for s in item["steps"] if s["line"] in shown]
                break
    return found


def shell_lines(steps: list[StepOutput]) -> list[str]:
    """The steps as a terminal shows them: a non-zero exit status is what `echo $?` prints."""
    lines: list[str] = []
    for step in steps:
        lines += [f"$ {step['command']}", *step["output"]]
        if step["exit_code"]:
            lines += ["$ echo $?", str(step["exit_code"])]
    return lines


def fence(indent: str, lang: str, body: list[str]) -> list[str]:
    return [
        f"{indent}```{lang}",
        *(f"{indent}{line}" if line else "" for line in body),
        f"{indent}```",
    ]


def outputs(
    indent: str, shown: Shown, steps: dict[str, list[StepOutput]], state: SiteState
) -> list[str]:
    """One console block, or a tab per engine where the snippet expects engines to differ."""
    facts = state.report["engines"] if state.report else {}
    engines = sorted(steps, key=engine_order)
    if not shown.differs or len(engines) == 1:
        return fence(indent, "console", shell_lines(steps[engines[0]]))
    out: list[str] = []
    for engine in engines:
        label = engine_label(engine, facts.get(engine))
        out += [
            f'{indent}=== "{label}"',
            "",
            *fence(indent + "    ", "console", shell_lines(steps[engine])),
            "",
        ]
    return out


def note(indent: str, text: str, css_class: str) -> list[str]:
    """A muted paragraph (attr_list gives it its class)."""
    return ["", f"{indent}{text}", f"{indent}{{ .{css_class} }}", ""]


class RealOutput(Preprocessor):
    """Replace each included runnable snippet with its real output (see the module's doc).
    Runs before pymdownx.snippets (priority 32), which includes the snippets' own text."""

    def __init__(self, md: Markdown, ext: ClaimsExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        state = self.ext.state()
        facts = state.report["engines"] if state.report else {}
        out: list[str] = []
        note_at: tuple[int, str, str] | None = None  # where the note goes, its indent, engine
        tabs = missing = False
        index = 0
        while index < len(lines):
            block = included_snippet(lines, index, state.guide.snippets)
            if block is None:
                out.append(lines[index])
                index += 1
                continue
            indent, shown, end = block
            index = end + 1
            steps = recorded_steps(state.report, shown, state.digest)
            python = shown.snippet.kind == "python"
            if python:
                out += fence(indent, "python", shown.code())
                if steps:
                    out.append("")
            if not steps:
                if not python:
                    out += fence(indent, "console", shown.commands())
                if not missing:
                    out += note(indent, MISSING_NOTE, MISSING_CLASS)
                    missing = True
                self.ext.fail_if_publishing(
                    shown.snippet.path,
                    [
                        "a page shows it, but the report has no current passing run of it: "
                        f"run `nox -s verify -- {shown.snippet.path}`"
                    ],
                )
                continue
            out += outputs(indent, shown, steps, state)
            tabs = tabs or (shown.differs and len(steps) > 1)
            if note_at is None:
                note_at = (len(out), indent, sorted(steps, key=engine_order)[0])
        if note_at is not None:
            at, indent, engine = note_at
            label = engine_label(engine, facts.get(engine))
            text = f"Output as the verified run printed it on {label}"
            text += " (tabs show other engines where they differ). " if tabs else ". "
            text += "IDs, digests, PIDs, hostnames, times and sizes differ on your machine."
            out[at:at] = note(indent, text, NOTE_CLASS)
        return out


MISSING_NOTE = (
    "Some examples on this page show no output: there is no current passing run of them "
    "(run `nox -s verify`)."
)
