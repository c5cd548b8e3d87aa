"""The document model: the guide's pages and snippets, parsed once with one grammar.

Pages (`docs/**/*.md`) make claims (`{ .claim #id }` after a statement), include snippets
(`--8<-- "snippets/x/y.console:section"`), hold code blocks and link to each other.
Snippets (`snippets/**`) are real files; a named section starts and ends with a pymdownx.snippets
marker, and the start marker binds the claims that the section proves:

    # --8<-- [start:survives-stop] proves: writable-layer-survives-stop-start

pymdownx.snippets drops marker lines, so readers never see a binding. A snippet with bindings
is run by the suite: a transcript (`*.console`) command by command, a Python script whole,
its printed lines compared with its `# > ` comments (ruff's form of pytest-examples' `#>`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

# -- Where things are: the one definition of each folder and of the report path ------------
DOCS = "docs"
SNIPPETS = "snippets"
TESTS = "tests"
REPORT = "reports/verification.json"
VERIFIER = Path(__file__).resolve().parent
# The verifier's modules that only render or check the site: a proof reads none of them, so
# editing them leaves the records of every proof current.
SITE_ONLY = frozenset(
    {"extension.py", "real_output.py", "report_page.py", "claim_checks.py", "falsifiers.py"}
)

# -- The grammar ---------------------------------------------------------------------------
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w-]*)")
INCLUDE = re.compile(
    r'^[ \t]*--8<--[ \t]+"(?P<path>[^":]+)(?::(?P<section>[a-z][-_0-9a-z]*))?"[ \t]*$'
)
SECTION = re.compile(
    r"--8<--[ \t]+\[(?P<kind>start|end):(?P<name>[a-z][-_0-9a-z]*)\]"
    r"(?:[ \t]+proves:(?P<claims>.*))?"
)
CLAIM = re.compile(
    r"\{:?[ \t]*\.claim[ \t]+#(?P<id>[^\s}]+)"
    r"(?:[ \t]+data-engines=\"(?P<engines>[^\"]*)\")?[ \t]*\}"
)
CLAIM_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
INLINE_CODE = re.compile(r"(`+).+?\1")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s")
ADMONITION = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s")  # its title line is no statement
VARIANT = re.compile(r"^\[on (?P<engines>[\w.+-]+(?:, [\w.+-]+)*)\]$")  # engines' own output
EXPECTED_PRINT = re.compile(r"^# >(?: (?P<text>.*))?$")  # a Python snippet's expected output
RUNNABLE = {".console": "transcript", ".py": "python"}


class DocumentError(ValueError):
    """Input the suite can't use; the message names the file and line."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Claim:
    id: str
    page: str  # relative to docs/, with forward slashes
    line: int
    text: str  # the statement, as written in Markdown
    engines: tuple[str, ...] = ()  # where it holds (`data-engines="..."`); () is everywhere

    def in_scope(self, engine: str) -> bool:
        return not self.engines or engine in self.engines

    @property
    def location(self) -> str:
        return f"{DOCS}/{self.page}:{self.line}"


@dataclass(frozen=True)
class Include:
    page: str
    line: int
    path: str  # relative to the project, as written
    section: str | None

    @property
    def location(self) -> str:
        return f"{DOCS}/{self.page}:{self.line}"


@dataclass(frozen=True)
class CodeBlock:
    page: str
    line: int  # the opening fence
    lang: str
    body: tuple[str, ...]

    @property
    def includes_only(self) -> bool:
        lines = [line for line in self.body if line.strip()]
        return bool(lines) and all(INCLUDE.match(line) for line in lines)


@dataclass(frozen=True)
class Page:
    path: str  # relative to docs/
    lines: tuple[str, ...]
    claims: tuple[Claim, ...]
    includes: tuple[Include, ...]
    code_blocks: tuple[CodeBlock, ...]
    links: tuple[tuple[int, str], ...]  # (line, target)

    @property
    def title(self) -> str:
        heading = next((line for line in self.lines if line.startswith("# ")), self.path)
        return heading.removeprefix("# ").strip()


@dataclass(frozen=True)
class Section:
    name: str
    start: int  # line of the start marker
    end: int  # line of the end marker
    claims: tuple[str, ...]  # bound on the start marker


@dataclass(frozen=True)
class Snippet:
    path: str  # relative to the project, e.g. snippets/images/rebuild/rebuild.console
    lines: tuple[str, ...]
    sections: tuple[Section, ...]

    def __str__(self) -> str:
        return self.path.removeprefix(f"{SNIPPETS}/")

    @property
    def kind(self) -> str | None:
        """`transcript` or `python` when the suite runs it, else None."""
        kind = RUNNABLE.get(PurePosixPath(self.path).suffix)
        return kind if kind and self.claims else None

    def prints_at(self, line: int) -> bool:
        """Whether the line (1-based) states expected output of a Python snippet."""
        return EXPECTED_PRINT.match(self.lines[line - 1].strip()) is not None

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent)

    @property
    def claims(self) -> tuple[str, ...]:
        return tuple(claim for section in self.sections for claim in section.claims)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def expected_prints(self) -> list[tuple[int, str]]:
        """A Python snippet's expected output: its `# > ` comment lines, with their numbers."""
        return [
            (number, match["text"] or "")
            for number, line in enumerate(self.lines, start=1)
            if (match := EXPECTED_PRINT.match(line.strip()))
        ]

    def engines_named(self) -> dict[str, int]:
        """Engines that this snippet expects other output from (`[on NAME]`), and where."""
        named: dict[str, int] = {}
        for number, line in enumerate(self.lines, start=1):
            text = line.strip()
            if self.kind == "python" and (match := EXPECTED_PRINT.match(text)):
                text = match["text"] or ""
            if self.kind and (variant := VARIANT.match(text)):
                for engine in variant["engines"].split(", "):
                    named.setdefault(engine, number)
        return named


def parse_page(text: str, page: str) -> Page:
    lines = tuple(text.splitlines())
    claims: list[Claim] = []
    includes: list[Include] = []
    blocks: list[CodeBlock] = []
    links: list[tuple[int, str]] = []
    paragraph_start = 0
    fence: tuple[int, re.Match[str]] | None = None
    for index, line in enumerate(lines):
        number = index + 1
        if include := INCLUDE.match(line):
            includes.append(Include(page, number, include["path"], include["section"]))
        if fence is not None:
            opened_at, opening = fence
            if line.strip() == opening["fence"]:
                body = lines[opened_at:index]
                blocks.append(CodeBlock(page, opened_at, opening["lang"], body))
                fence = None
            continue
        if opened := FENCE.match(line):
            fence = (number, opened)
            continue
        if not line.strip() or ADMONITION.match(line):
            paragraph_start = number
            continue
        if LIST_ITEM.match(line):  # a list item's statement starts with the item
            paragraph_start = index
        prose = INLINE_CODE.sub("", line)
        links += [(number, match["target"]) for match in LINK.finditer(prose)]
        for match in CLAIM.finditer(prose):
            claim_id = match["id"]
            if not CLAIM_ID.fullmatch(claim_id):
                raise DocumentError(
                    f"{DOCS}/{page}:{number}: claim ID {claim_id!r} must be lowercase words "
                    "joined by hyphens, e.g. 'tags-move-ids-do-not'"
                )
            statement = " ".join(
                CLAIM.sub("", part).strip() for part in lines[paragraph_start : index + 1]
            ).strip()
            scope = tuple((match["engines"] or "").split())
            claims.append(Claim(claim_id, page, number, statement, scope))
            paragraph_start = number  # the next statement starts after the marker
    return Page(page, lines, tuple(claims), tuple(includes), tuple(blocks), tuple(links))


def parse_snippet(text: str, path: str) -> Snippet:
    lines = tuple(text.splitlines())
    sections: list[Section] = []
    open_sections: dict[str, tuple[int, tuple[str, ...]]] = {}
    for number, line in enumerate(lines, start=1):
        marker = SECTION.search(line)
        if not marker:
            continue
        name = marker["name"]
        if marker["kind"] == "start":
            claims = tuple((marker["claims"] or "").replace(",", " ").split())
            for claim_id in claims:
                if not CLAIM_ID.fullmatch(claim_id):
                    raise DocumentError(f"{path}:{number}: {claim_id!r} is not a claim ID")
            open_sections[name] = (number, claims)
        elif name in open_sections:
            start, claims = open_sections.pop(name)
            sections.append(Section(name, start, number, claims))
        else:
            raise DocumentError(f"{path}:{number}: [end:{name}] without [start:{name}]")
    for name, (start, _) in open_sections.items():
        raise DocumentError(f"{path}:{start}: [start:{name}] is never ended")
    return Snippet(path, lines, tuple(sorted(sections, key=lambda s: s.start)))


@dataclass(frozen=True)
class Guide:
    """The pages and snippets of one project, parsed once."""

    root: Path
    pages: dict[str, Page] = field(hash=False)
    snippets: dict[str, Snippet] = field(hash=False)

    @classmethod
    def load(cls, root: Path) -> Guide:
        root = root.resolve()
        pages = {
            page: parse_page(path.read_text(encoding="utf-8"), page)
            for path in sorted((root / DOCS).rglob("*.md"))
            if (page := path.relative_to(root / DOCS).as_posix())
        }
        snippets = {}
        for path in _files(root / SNIPPETS):
            relative = path.relative_to(root).as_posix()
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                text = ""  # binary build inputs have no sections
            snippets[relative] = parse_snippet(text, relative)
        return cls(root, pages, snippets)

    @property
    def report_path(self) -> Path:
        return self.root / REPORT

    @cached_property
    def claims(self) -> dict[str, Claim]:
        """Every claim, by ID; an ID made twice is an error."""
        found: dict[str, Claim] = {}
        for page in self.pages.values():
            for claim in page.claims:
                if claim.id in found:
                    raise DocumentError(
                        f"{claim.location}: claim ID {claim.id!r} is already used at "
                        f"{found[claim.id].location}"
                    )
                found[claim.id] = claim
        return found

    @property
    def includes(self) -> list[Include]:
        return [include for page in self.pages.values() for include in page.includes]

    @property
    def runnable(self) -> list[Snippet]:
        """The snippets the suite runs: transcripts and Python scripts that bind claims."""
        return [snippet for snippet in self.snippets.values() if snippet.kind]

    def pages_including(self, snippet: str) -> list[str]:
        return sorted({i.page for i in self.includes if i.path == snippet})

    def snippet_folders(self, page: str) -> set[str]:
        """The snippet folders a page includes from (transcripts run what sits beside them)."""
        return {str(PurePosixPath(i.path).parent) for i in self.pages[page].includes}

    def problems(self) -> list[str]:
        """Wrong input, each naming file and line: unknown claims, missing sections, a claim
        bound twice in one snippet, snippets that no page includes or that prove nothing."""
        found = []
        for include in self.includes:
            snippet = self.snippets.get(include.path)
            if snippet is None:
                found.append(f"{include.location}: {include.path} does not exist")
            elif include.section and snippet.section(include.section) is None:
                found.append(
                    f"{include.location}: {include.path} has no section [start:{include.section}]"
                )
        included = {include.path for include in self.includes}
        for snippet in self.snippets.values():
            seen: set[str] = set()
            for section in snippet.sections:
                for claim_id in section.claims:
                    where = f"{snippet.path}:{section.start}"
                    if claim_id not in self.claims:
                        found.append(f"{where}: proves {claim_id!r}, which no page makes")
                    if claim_id in seen:
                        found.append(f"{where}: {claim_id!r} is bound twice in this snippet")
                    seen.add(claim_id)
            suffix = PurePosixPath(snippet.path).suffix
            if suffix == ".console" and not snippet.claims:
                found.append(f"{snippet.path}:1: a transcript that proves no claim (add proves:)")
            if snippet.kind and snippet.path not in included:
                found.append(f"{snippet.path}:1: no page includes this snippet")
        return found

    # -- What a run read, for the report -------------------------------------------------------
    def digest(self, relative: str) -> str | None:
        """sha256 of a project file now, or None when it is gone."""
        path = self.root / relative
        return sha256(path) if path.is_file() else None

    def verifier_files(self) -> list[str]:
        """The verifier's files a proof depends on (not those that render the site)."""
        return [
            _relative(path, self.root) for path in _files(VERIFIER) if path.name not in SITE_ONLY
        ]

    def files_under(self, folder: str) -> list[str]:
        return [path.relative_to(self.root).as_posix() for path in _files(self.root / folder)]


def _files(folder: Path) -> list[Path]:
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
