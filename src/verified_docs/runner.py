"""Run a snippet against the engine and compare what it printed.

A transcript runs command by command; a Python snippet runs as `python <file>`, its output
compared with its `# > ` lines. Each run works in a scratch copy of the snippet's folder, so a
snippet may create and edit files. Names a snippet gives to containers, images, volumes and
networks get a unique suffix, and what the reader sees maps to what the run uses (a base
image's stand-in, a registry's port); outputs are mapped back before they are compared.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker

from verified_docs import transcripts
from verified_docs.document import Guide, Snippet, parse_snippet
from verified_docs.engines import LABELS, PROJECT, ignoring_gone, list_images, remove_images
from verified_docs.report import StepOutput

COMMAND_TIMEOUT = float(os.environ.get("VERIFIED_DOCS_COMMAND_TIMEOUT", "60"))
# A step's status: a command that fails, in a pipeline too, fails the step, unless it is tested
# (`&&`, `||`, `if`, `while`, `!`): then the step's status is what the shell returns.
SHELL = ("bash", "-e", "-o", "pipefail", "-c")
SHIM = Path(__file__).with_name("docker-shim")
REGISTRY = re.compile(r"[\w.-]+:\d+")  # a substituted registry address, host:port

# Where a transcript names something it creates.
NAMED = re.compile(
    r"--name[ =](?P<container>[\w.-]+)"
    r"|docker (?:image )?build .*?(?:-t|--tag)[ =](?P<image>[a-z0-9][\w./-]*)"
    r"|docker (?:image )?tag \S+ (?P<tagged>[a-z0-9][\w./-]*)"
    r"|docker (?:container )?commit (?:-\S+ )*\S+ (?P<committed>[a-z0-9][\w./-]*)"
    r"|docker (?:image )?import (?:-\S+ )*\S+ (?P<imported>[a-z0-9][\w./-]*)"
    r"|docker (?:volume|network) create (?:-\S+ )*(?P<object>[\w.-]+)"
    r"|\b(?:name|repository)=[\"'](?P<python>[a-z][\w./-]*)"
    r"|\btag=[\"'](?P<python_ref>[a-z][\w./-]*:[\w.-]+)[\"']"
)
DOCKERFILE_REFERENCE = re.compile(r"^\s*FROM\s|--from=", re.IGNORECASE)
PYTHON_STRING = re.compile(r"(?P<quote>[\"'])(?P<text>[^\"'\n]*)(?P=quote)")


class TranscriptMismatch(AssertionError):
    pass


@dataclass
class SnippetRun:
    path: Path
    transcript: transcripts.Transcript
    evidence: str
    steps: list[StepOutput]
    mapping: dict[str, str]  # reader's names -> this run's names
    suffix: str
    seconds: float  # wall time through the harness, staging and clean-up included


def replace_tokens(text: str, mapping: Mapping[str, str], *, after_slash: bool = False) -> str:
    """Replace whole names; not inside paths such as /bin/busybox (unless `after_slash`), but
    after a URL's `//`."""
    not_in_path = "" if after_slash else r"(?<![^/]/)"
    for old in sorted(mapping, key=len, reverse=True):
        pattern = rf"(?<![\w.-]){not_in_path}{re.escape(old)}(?![\w-])"
        text = re.sub(pattern, mapping[old], text)
    return text


# A docker CLI table's header: words in capitals, columns at least two spaces apart; the CLI
# pads each column to its widest cell plus 3 spaces, and to at least 10 (text/tabwriter).
TABLE_HEADER = re.compile(r"[A-Z][A-Z ]*[A-Z](?:  +[A-Z][A-Z ]*[A-Z])+")
TABLE_MIN_WIDTH, TABLE_PADDING = 10, 3


def map_tables(raw: str, map_text: Callable[[str], str]) -> str:
    """`map_text` on every line of a command's output; in a table (a header of capitals, then
    the rows that fit its columns), on each cell, padding the columns again as the CLI would,
    so that a run's longer names mapped back keep the table aligned."""
    lines = raw.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        header = lines[index]
        if not TABLE_HEADER.fullmatch(header.rstrip()):
            out.append(map_text(header))
            index += 1
            continue
        starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
        end = index + 1
        while (
            end < len(lines)
            and lines[end].strip()
            and all(
                len(lines[end]) <= start or lines[end][start - 1] == " " for start in starts[1:]
            )
        ):
            end += 1
        bounds = list(zip(starts, [*starts[1:], None], strict=True))
        cells = [[row[a:b].rstrip() for a, b in bounds] for row in lines[index:end]]
        rows = [[map_text(cell) for cell in row] for row in cells]
        if rows == cells:  # nothing renamed: the table stays as printed (ps right-aligns PIDs)
            out += lines[index:end]
            index = end
            continue
        widths = [
            max(TABLE_MIN_WIDTH, max(len(row[column]) for row in rows) + TABLE_PADDING)
            for column in range(len(starts))
        ]
        out += [
            "".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False))
            + row[-1]
            for row in rows
        ]
        index = end
    return "\n".join(out)


def map_file(name: str, text: str, mapping: Mapping[str, str]) -> str:
    """Map image and object names where files refer to them: Dockerfile FROM lines and
    --from= options, and string literals in Python scripts. Other files stay as written."""
    if name == "Dockerfile" or name.endswith(".Dockerfile"):
        return "\n".join(
            replace_tokens(line, mapping) if DOCKERFILE_REFERENCE.search(line) else line
            for line in text.split("\n")
        )
    if name.endswith(".py"):
        return PYTHON_STRING.sub(lambda m: replace_tokens(m[0], mapping), text)
    return text


def unique_names(texts: list[str], taken: Mapping[str, str], suffix: str) -> dict[str, str]:
    """Give every name the commands or staged scripts create the run's suffix."""
    names: dict[str, str] = {}
    for text in texts:
        for match in NAMED.finditer(text):
            ref = next(value for value in match.groupdict().values() if value)
            name = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
            if "/" in name and any(c in name.split("/")[0] for c in ".:"):
                continue  # in a registry: each run starts its own, so names can't collide
            if name not in taken and not any(name == ref.split(":")[0] for ref in taken):
                names[name] = f"{name}-{suffix}"
                if "/" not in name:  # the same image by its long name
                    names[f"docker.io/library/{name}"] = f"docker.io/library/{name}-{suffix}"
    return names


def stage(snippet_dir: Path, workdir: Path, mapping: Mapping[str, str]) -> None:
    """Copy the snippet's folder, mapping names inside its text files (Dockerfiles, scripts)."""
    for source in snippet_dir.iterdir():
        if source.is_file() and source.suffix != ".console":
            target = workdir / source.name
            shutil.copy2(source, target)
            with contextlib.suppress(UnicodeDecodeError):  # binary files are copied as they are
                target.write_text(map_file(source.name, source.read_text("utf-8"), mapping))


def _run(command: str, workdir: Path, env: Mapping[str, str], timeout: float) -> tuple[str, int]:
    process = subprocess.Popen(
        [*SHELL, command],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return output, process.returncode


def _environment(shim_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{shim_dir}{os.pathsep}{env.get('PATH', '')}",
        VERIFIED_DOCS_REAL_DOCKER=shutil.which("docker") or "docker",
        VERIFIED_DOCS_LABELS=" ".join(f"{k}={v}" for k, v in LABELS.items()),
        DOCKER_CLI_HINTS="false",
        LC_ALL="C.UTF-8",
        COLUMNS="120",
    )
    return env


def clean_up_named(client: docker.DockerClient, suffix: str, registries: list[str]) -> None:
    """Remove what the snippet named, and what it pulled from this run's registries; the
    run's clean-up catches anything else."""
    api = client.api
    for container in api.containers(all=True, filters={"name": suffix}):
        ignoring_gone(api.remove_container, container["Id"], v=True, force=True)
    prefixes = tuple(f"{registry}/" for registry in registries)
    tagged = [
        i["Id"]
        for i in list_images(client)
        if any(suffix in t or t.startswith(prefixes) for t in i.get("RepoTags") or [])
    ]
    remove_images(client, tagged)
    for volume in api.volumes(filters={"name": suffix}).get("Volumes") or []:
        ignoring_gone(api.remove_volume, volume["Name"], force=True)
    for network in api.networks(filters={"name": suffix}):
        ignoring_gone(api.remove_network, network["Id"])


@contextlib.contextmanager
def one_at_a_time(key: str) -> Iterator[None]:
    """A machine-wide lock named by `key`, for this project's runs."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir(), f"{PROJECT}-{digest}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def parse(snippet: Snippet, root: Path) -> transcripts.Transcript:
    """The commands a snippet runs, with their expected output."""
    path = root / snippet.path
    if snippet.kind == "python":
        prints = snippet.expected_prints()
        # The script's one step is placed at its first `# > ` line (or, before the update mode
        # writes them, at the end of its first section): inside the section it shows.
        at = prints[0][0] if prints else snippet.sections[0].end - 1
        step = transcripts.Step(f"python {PurePosixPath(snippet.path).name}", at)
        step.expected, step.variants = transcripts.parse_output(prints, path)
        return transcripts.Transcript(path, [step])
    return transcripts.parse_transcript(path)


def update_snippet(
    snippet: Snippet, root: Path, engine: str | None, changes: list[tuple[int, list[str], int]]
) -> None:
    """Write what this engine printed into the snippet file, as it is now: the matrix's runs
    update one file in turn, each its own engine's output (see transcripts.update)."""
    path = root / snippet.path
    with one_at_a_time(f"write:{path}"):
        fresh = parse_snippet(path.read_text(encoding="utf-8"), snippet.path)
        steps = parse(fresh, root).steps  # other engines' updates may have moved lines
        for index, output, exit_code in changes:
            transcripts.update(steps[index], engine, output, exit_code)
        changed = [steps[index] for index, _, _ in changes]
        if fresh.kind == "transcript":
            transcripts.rewrite_outputs(path, changed)
            return
        lines = list(fresh.lines)
        prints = [n for n in range(1, len(lines) + 1) if fresh.prints_at(n)]
        end = fresh.sections[0].end
        first, last = (prints[0], prints[-1]) if prints else (end, end - 1)
        indent = re.match(r"[ \t]*", lines[first - 1])[0] if prints else ""  # type: ignore[index]
        block = [f"{indent}# > {line}".rstrip() for line in changed[0].output_lines()]
        lines[first - 1 : last] = block
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_snippet(
    snippet: Snippet,
    guide: Guide,
    client: docker.DockerClient,
    substitutions: Mapping[str, str],
    *,
    engine: str | None = None,
    update: bool = False,
    timeout: float = COMMAND_TIMEOUT,
) -> SnippetRun:
    """Run every command of the snippet on the engine (its name chooses the expected output
    where engines differ); raise TranscriptMismatch on a difference. With `update`, write
    what this engine printed into the snippet instead (see transcripts.update)."""
    started = time.monotonic()
    path = guide.root / snippet.path
    transcript = parse(snippet, guide.root)
    scripts = [p.read_text("utf-8") for p in path.parent.glob("*.py")]
    commands = [step.command for step in transcript.steps]
    suffix = uuid.uuid4().hex[:8]
    mapping = {**substitutions, **unique_names(commands + scripts, substitutions, suffix)}
    registries = [value for value in substitutions.values() if REGISTRY.fullmatch(value)]
    reverse = {actual: reader for reader, actual in mapping.items()}
    pages = ", ".join(f"docs/{page}" for page in guide.pages_including(snippet.path)) or "no page"
    evidence: list[str] = []
    shown: list[StepOutput] = []  # what each command really printed, for the pages
    failures: list[str] = []
    broken: list[str] = []  # relations between named placeholders' values that don't hold
    relations = transcripts.Relations()
    changes: list[tuple[int, list[str], int]] = []  # step index, output as printed, exit status
    # Snippets of one folder build the same files into the same images: on one engine (whose
    # build cache they share) they take turns, across xdist workers and concurrent runs.
    with (
        one_at_a_time(f"{engine}:{path.parent}"),
        tempfile.TemporaryDirectory(prefix=f"{PROJECT}-") as scratch,
    ):
        workdir = Path(scratch, "work")
        shim_dir = Path(scratch, "bin")
        workdir.mkdir()
        shim_dir.mkdir()
        shutil.copy2(SHIM, shim_dir / "docker")
        env = _environment(shim_dir)
        stage(path.parent, workdir, mapping)
        try:
            for index, step in enumerate(transcript.steps):
                where = f"{snippet.path}:{step.line} (on {pages})"
                command = replace_tokens(step.command, mapping)
                try:
                    raw, exit_code = _run(command, workdir, env, timeout)
                except subprocess.TimeoutExpired:
                    raise TranscriptMismatch(
                        f"{where}: `{step.command}` did not finish within {timeout:g} s and "
                        "was killed"
                    ) from None
                # The run's names are unique, so they are mapped back wherever they appear.
                printed = transcripts.as_printed(
                    map_tables(raw, lambda text: replace_tokens(text, reverse, after_slash=True))
                )
                evidence.extend(transcripts.render(step, transcripts.normalise(printed), exit_code))
                shown.append(
                    {
                        "line": step.line,
                        "command": step.command,
                        "output": printed,
                        "exit_code": exit_code,
                    }
                )
                fits, relation = relations.check(step.expectation(engine), printed, exit_code)
                if relation:
                    broken.append(f"{where}: `{step.command}` on engine {engine}: {relation}")
                if fits:
                    continue
                failures.append(
                    f"{where}: output of `{step.command}` differs on engine {engine}\n"
                    + transcripts.diff(step, engine, printed, exit_code)
                )
                changes.append((index, printed, exit_code))
        finally:
            clean_up_named(client, suffix, registries)
    if failures and update:
        update_snippet(snippet, guide.root, engine, changes)
        failures = [
            f"{snippet.path}: expected output rewritten from this run; review with `git diff`"
        ]
    if failures or broken:
        raise TranscriptMismatch("\n\n".join(broken + failures))
    seconds = time.monotonic() - started
    return SnippetRun(path, transcript, "\n".join(evidence), shown, mapping, suffix, seconds)


def replay_plain(result: SnippetRun, client: docker.DockerClient) -> float:
    """Seconds to run the same commands with the same names through bash and the docker CLI
    alone: no parsing, comparing or mapping output. For the harness-overhead benchmark."""
    transcript = result.transcript
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        stage(result.path.parent, Path(scratch), result.mapping)
        started = time.monotonic()
        for step in transcript.steps:
            command = replace_tokens(step.command, result.mapping)
            subprocess.run(
                [*SHELL, command], cwd=scratch, capture_output=True, timeout=COMMAND_TIMEOUT
            )
        seconds = time.monotonic() - started
    clean_up_named(client, result.suffix, [])
    return seconds
