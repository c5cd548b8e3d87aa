"""pytest plugin: snippets and tests prove claims; the run records what each test did.

- A test function that takes a `snippet` argument runs once per snippet that binds claims
  (see `verified_docs.document`); it proves the claims its snippet binds.
- A hand-written test names the claims it checks on the engine side:
  `@pytest.mark.claim("tag-moves-id-does-not")`.
- Wrong input (an unknown claim, a missing section, a claim bound twice, a snippet no page
  includes) stops the run at collection with one line per problem, naming file and line.
- With `--claims-report=PATH`, the run writes one record per test (see `verified_docs.report`),
  keeping earlier records of tests that didn't run while their inputs are unchanged.

Registered through the `pytest11` entry point; works under pytest-xdist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import docker
import pytest

from verified_docs.document import DOCS, REPORT, SNIPPETS, DocumentError, Guide, Snippet
from verified_docs.engines import (
    EngineUnavailable,
    connect,
    describe,
    reap_run,
    sweep_abandoned,
)
from verified_docs.report import (
    SCHEMA,
    STATUSES,
    Digest,
    Record,
    Report,
    load_report,
    merge,
    overall_status,
    save_report,
)

if TYPE_CHECKING:  # Docker is imported only by runs that use an engine, never by site checks
    import docker

# user_properties keys: how results travel from xdist workers to the report writer
CLAIMS = "verified_docs.claims"
INPUTS = "verified_docs.inputs"
EVIDENCE = "verified_docs.evidence"
BASE_IMAGE = "verified_docs.base_image"
MEASUREMENT = "verified_docs.measurement"
BRANCH = "verified_docs.branch"
BRANCHES = "verified_docs.branches"  # declared
OVERHEAD = "verified_docs.overhead"  # harness vs plain docker CLI seconds, per snippet
WRONG = pytest.StashKey[str]()  # why a test's claim markers are wrong
KNOWN = pytest.StashKey[dict[str, list[str]]]()  # every collected proof -> its claims
WORKER_KNOWN = "verified_docs_known"
EVERY_PROOF_READS = (f"{SNIPPETS}/base-image",)  # the base image stands under every proof


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verified-docs")
    group.addoption(
        "--claims-report",
        nargs="?",
        const=REPORT,
        metavar="PATH",
        help=f"write the verification report (default path: {REPORT})",
    )
    group.addoption(
        "--changed",
        action="append",
        default=[],
        metavar="PATH",
        help="run only the proofs that read PATH (a page, a snippet, a test file, a folder)",
    )
    group.addoption(
        "--update-transcripts",
        action="store_true",
        help="rewrite the expected output of transcripts that differ, for review in git",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(*ids): the claim(s) this test checks")
    config.addinivalue_line(
        "markers",
        "branches(*names): the engine-dependent branches of this test; each must run on some "
        "engine of the matrix (take one with the `branch` fixture)",
    )
    # One run ID for the controller and its xdist workers (started later), before any import
    # of verified_docs.engines reads it.
    os.environ.setdefault("VERIFIED_DOCS_RUN_ID", uuid.uuid4().hex[:10])
    if hasattr(config, "workerinput"):
        return
    # The controller, or a run without xdist: wrong input stops the run here, before any
    # worker starts, with one line per problem.
    problems = input_problems(config.rootpath)
    if problems:
        raise pytest.UsageError("\n".join(problems))
    path = config.getoption("--claims-report")
    if path:
        writer = ReportWriter(config.rootpath / path)
        config.pluginmanager.register(writer, "verified_docs_report")


def input_problems(root: Path) -> list[str]:
    """What is wrong with the pages and snippets, if this is a guide (docs/ and snippets/)."""
    if not (root / DOCS).is_dir() or not (root / SNIPPETS).is_dir():
        return []
    try:
        return guide_at(root).problems()
    except DocumentError as error:
        return [str(error)]


def require_engine(config: pytest.Config) -> None:
    """Stop the run in one line, before collection, when no engine answers (a conftest of
    tests that need one calls this from its pytest_configure)."""
    if hasattr(config, "workerinput"):
        return
    try:
        connect(timeout=10).close()
    except EngineUnavailable as error:
        raise pytest.UsageError(str(error)) from None


@cache
def guide_at(root: Path) -> Guide:
    return Guide.load(root)


def guide_of(config: pytest.Config) -> Guide:
    return guide_at(config.rootpath)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `snippet` runs once per runnable snippet (unless it chooses its own)."""
    chosen = {m.args[0] for m in metafunc.definition.iter_markers("parametrize")}
    if "snippet" in metafunc.fixturenames and not any("snippet" in str(c) for c in chosen):
        snippets = guide_of(metafunc.config).runnable
        metafunc.parametrize("snippet", snippets, ids=[str(s) for s in snippets])


def claims_of(item: pytest.Item) -> list[str]:
    named = [claim for mark in item.iter_markers("claim") for claim in mark.args]
    callspec = getattr(item, "callspec", None)
    snippet = callspec.params.get("snippet") if callspec else None
    if isinstance(snippet, Snippet):
        named += snippet.claims
    return list(dict.fromkeys(named))


def inputs_of(item: pytest.Item, claims: list[str], guide: Guide, digest: Digest) -> dict[str, str]:
    """sha256 of every file the test reads: the verifier, its test module and the helpers
    beside it and above it, the pages of its claims and the snippet folders they include."""
    root = guide.root
    files = set(guide.verifier_files())
    module = item.path.resolve()
    files.add(module.relative_to(root).as_posix())
    folder = module.parent
    while folder != root and root in folder.parents:
        files |= {
            p.relative_to(root).as_posix()
            for p in folder.glob("*.py")
            if not p.name.startswith("test_")
        }
        folder = folder.parent
    folders = set(EVERY_PROOF_READS)
    for claim_id in claims:
        page = guide.claims[claim_id].page
        files.add(f"docs/{page}")
        folders |= guide.snippet_folders(page)
    callspec = getattr(item, "callspec", None)
    snippet = callspec.params.get("snippet") if callspec else None
    if isinstance(snippet, Snippet):
        folders.add(snippet.folder)
    for folder_path in folders:
        files |= set(guide.files_under(folder_path))
    return {path: sha for path in sorted(files) if (sha := digest(path))}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    guide = guide_of(config)
    digest = cache(guide.digest)
    problems = []
    for item in items:
        claims = claims_of(item)
        path, line, _ = item.location
        unknown = [
            f"{path}:{(line or 0) + 1}: {item.name} names claim {claim_id!r}, "
            "which no page in docs/ makes"
            for claim_id in claims
            if claim_id not in guide.claims
        ]
        if unknown:
            item.stash[WRONG] = "\n".join(unknown)
            problems += unknown
        elif claims:
            item.user_properties.append((CLAIMS, claims))
            declared = [b for mark in item.iter_markers("branches") for b in mark.args]
            item.user_properties.append((BRANCHES, declared))
            item.user_properties.append((INPUTS, inputs_of(item, claims, guide, digest)))
    if problems and not hasattr(config, "workerinput"):
        raise pytest.UsageError("\n".join(problems))  # (xdist workers fail the test instead)
    known = {item.nodeid: claims_of(item) for item in items if claims_of(item)}
    config.stash[KNOWN] = known  # deselected proofs still count: their claims need them
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_KNOWN] = known  # type: ignore[attr-defined]
    changed = [_project_path(p, guide.root) for p in config.getoption("--changed")]
    engine = _engine_name() if any(c.engines for c in guide.claims.values()) else None
    if changed or engine:
        keep = [
            item
            for item in items
            if (not changed or _reads_any(item, changed))
            and (engine is None or _in_scope(item, guide, engine))
        ]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def pytest_runtest_setup(item: pytest.Item) -> None:
    if WRONG in item.stash:  # an xdist worker can't stop the run: the test fails, in one line
        pytest.fail(item.stash[WRONG], pytrace=False)


def _in_scope(item: pytest.Item, guide: Guide, engine: str) -> bool:
    """Whether the test proves something on this engine: a test whose claims all hold only
    elsewhere (`data-engines`) doesn't run here."""
    claims = [guide.claims[c] for c in claims_of(item) if c in guide.claims]
    return not claims or any(claim.in_scope(engine) for claim in claims)


def _engine_name() -> str | None:
    if named := os.environ.get("VERIFIED_DOCS_ENGINE"):
        return named
    return _engine().get("name")


def _project_path(path: str, root: Path) -> str:
    absolute = Path(path).resolve()
    return absolute.relative_to(root).as_posix() if root in absolute.parents else path


def _reads_any(item: pytest.Item, changed: list[str]) -> bool:
    inputs: dict[str, str] = dict(item.user_properties).get(INPUTS, {})  # type: ignore[assignment]
    return any(
        path == edited or PurePosixPath(path).is_relative_to(edited)
        for path in inputs
        for edited in changed
    )


# -- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def guide(request: pytest.FixtureRequest) -> Guide:
    """The project's pages and snippets, as parsed for this run."""
    return guide_of(request.config)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The engine, cleaned of what killed runs left; everything this run made goes at the end."""

    try:
        client = connect()
    except EngineUnavailable as error:
        pytest.exit(str(error), returncode=3)
    sweep_abandoned(client)
    try:
        yield client
    finally:
        reap_run(client)
        client.close()


@pytest.fixture(scope="session")
def engine(docker_client: docker.DockerClient) -> dict[str, str]:
    """What the engine says of itself, and its name in the matrix (e.g. `28.5-containerd`)."""
    from verified_docs.engines import describe

    return describe(docker_client)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record output that proves a claim; the pages show it (escaped). `steps`: what each
    command of a snippet printed, by line, so that pages can show a section's real output."""

    def record(label: str, text: str, steps: list[Any] | None = None) -> None:
        item: dict[str, Any] = {"label": label, "text": text}
        if steps is not None:
            item["steps"] = steps
        request.node.user_properties.append((EVIDENCE, item))

    return record


@pytest.fixture
def branch(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`branch("containerd store")` records that the test took that engine-dependent branch;
    the publish build fails when a branch the test declares (`@pytest.mark.branches(...)`)
    ran on no engine of the matrix."""
    declared = [b for mark in request.node.iter_markers("branches") for b in mark.args]

    def take(name: str) -> None:
        if name not in declared:
            raise pytest.UsageError(f"{request.node.nodeid}: branch {name!r} is not declared")
        request.node.user_properties.append((BRANCH, name))

    return take


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Callable[[str, float, str], None]:
    """Record a number measured in this run; pages show it with `[[measured:name]]`."""

    def record(name: str, value: float, unit: str) -> None:
        item = {"name": name, "value": value, "unit": unit, "test": request.node.nodeid}
        request.node.user_properties.append((MEASUREMENT, item))

    return record


@pytest.fixture
def run_snippet_on_engine(
    docker_client: docker.DockerClient,
    engine: dict[str, str],
    request: pytest.FixtureRequest,
    evidence: Callable[..., None],
) -> Callable[[Snippet, Mapping[str, str]], str]:
    """Run a snippet against the engine; `substitutions` map what the reader sees to what this
    run uses (a base image's stand-in, a registry's port). Returns the evidence."""
    from verified_docs.runner import TranscriptMismatch, replay_plain, run_snippet

    update = bool(request.config.getoption("--update-transcripts"))
    guide = guide_of(request.config)

    def run(snippet: Snippet, substitutions: Mapping[str, str]) -> str:
        try:
            result = run_snippet(
                snippet, guide, docker_client, substitutions, engine=engine["name"], update=update
            )
        except TranscriptMismatch as mismatch:  # the message says it all: no traceback
            pytest.fail(str(mismatch), pytrace=False)
        evidence(snippet.path, result.evidence, result.steps)
        if os.environ.get("VERIFIED_DOCS_MEASURE_OVERHEAD"):  # nox -s bench
            plain = replay_plain(result, docker_client)
            request.node.user_properties.append(
                (OVERHEAD, {"snippet": snippet.path, "harness": result.seconds, "plain": plain})
            )
        return result.evidence

    return run


# -- The report ------------------------------------------------------------------------------


class ReportWriter:
    """Collects test reports (also from xdist workers) and writes the verification report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[str, list[str]] = {}  # every proof xdist workers collected
        self.records: dict[str, Record] = {}
        self.base_images: dict[str, dict[str, Any]] = {}
        self.measurements: dict[str, dict[str, Any]] = {}
        self.overhead: list[dict[str, Any]] = []
        self.engine: dict[str, str] | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:  # from pytest-xdist
        self.known |= getattr(node, "workeroutput", {}).get(WORKER_KNOWN, {})

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties: dict[str, Any] = dict(report.user_properties)
        if CLAIMS not in properties:
            return
        record = self.records.setdefault(
            report.nodeid,
            {
                "nodeid": report.nodeid,
                "engine": "",
                "outcome": "passed",
                "duration": 0.0,
                "finished_at": "",
                "claims": properties[CLAIMS],
                "evidence": [],
                "inputs": properties[INPUTS],
                "branches_declared": properties.get(BRANCHES, []),
                "branches_reached": [],
            },
        )
        record["duration"] += report.duration
        record["finished_at"] = _now()
        if report.failed:
            record["outcome"] = "failed" if report.when == "call" else "error"
        elif report.skipped and record["outcome"] == "passed":
            record["outcome"] = "skipped"
        value: Any
        for key, value in report.user_properties:
            if key == EVIDENCE and value not in record["evidence"]:
                record["evidence"].append(value)
            elif key == BASE_IMAGE:
                self.base_images[value["stands_for"]] = value
            elif key == MEASUREMENT:
                self.measurements[value["name"]] = value
            elif key == BRANCH and value not in record.setdefault("branches_reached", []):
                record["branches_reached"].append(value)
            elif key == OVERHEAD and value not in self.overhead:
                self.overhead.append(value)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus in (
            pytest.ExitCode.USAGE_ERROR,
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
        ):
            return  # nothing was proven: keep the last report as it is
        guide = Guide.load(session.config.rootpath)  # as it is now, after the run
        digest = cache(guide.digest)
        engine = self.engine or _engine()
        for record in self.records.values():
            record["engine"] = engine["name"]
        with report_lock(self.path):  # the matrix's runs, one per engine, share the report
            self.write(session, guide, digest, engine)

    def write(
        self, session: pytest.Session, guide: Guide, digest: Digest, engine: dict[str, str]
    ) -> None:
        previous = load_report(self.path)
        records = merge(previous, self.records.values(), digest)
        known = {r["nodeid"]: r["claims"] for r in records} | self.known
        if KNOWN in session.config.stash:  # collected here, not by xdist workers
            collected: dict[str, list[str]] = session.config.stash[KNOWN]
            known |= collected
        engines = (previous["engines"] if previous else {}) | {engine["name"]: engine}
        engines = {
            n: facts for n, facts in engines.items() if any(r["engine"] == n for r in records)
        }
        report: Report = {
            "schema": SCHEMA,
            "generated_at": _now(),
            "git_commit": _git("rev-parse", "HEAD", root=guide.root) or "uncommitted",
            "git_dirty": bool(_git("status", "--porcelain", root=guide.root)),
            "engines": engines,
            "tests": dict(sorted(known.items())),
            "records": records,
            "base_images": (previous["base_images"] if previous else {}) | self.base_images,
            "measurements": (previous["measurements"] if previous else {}) | self.measurements,
        }
        if previous and "falsifications" in previous:  # `nox -s mutation` wrote them
            report["falsifications"] = previous["falsifications"]
        if self.overhead:  # `nox -s bench`: this engine's measurements replace its earlier ones
            earlier = previous.get("overhead", []) if previous else []
            report["overhead"] = [o for o in earlier if o["engine"] != engine["name"]] + [
                {**o, "engine": engine["name"]} for o in self.overhead
            ]
        save_report(report, self.path)
        statuses = [
            overall_status(report, claim.id, digest, claim.engines)
            for claim in guide.claims.values()
        ]
        carried = len(records) - len(self.records)
        summary = ", ".join(f"{statuses.count(s)} {s}" for s in STATUSES if statuses.count(s))
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(
                f"verification report: {self.path} on engine {engine['name']} "
                f"({len(guide.claims)} claims: {summary}; {len(self.records)} tests ran"
                + (f", {carried} records carried over" if carried else "")
                + ")"
            )


@contextlib.contextmanager
def report_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _git(*args: str, root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _engine() -> dict[str, str]:
    try:
        return describe(connect(timeout=10))
    except EngineUnavailable as error:
        return {"name": "unavailable", "version": "unavailable", "error": str(error)}
