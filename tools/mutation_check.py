"""Falsify each claim and confirm its proofs notice, on every engine of the claim's scope.

Two kinds of falsification, each applied in its own copy of the project, in parallel:

- falsifiers (src/verified_docs/falsifiers.py): per claim, declared edits to a command, a
  Dockerfile, an option or a test input that make the sentence false; the claim's proofs must
  fail on every engine of its scope;
- the baseline: one expected-output line of a step that binds the claim (never a clean-up
  step's) gets text appended, or, for a claim proven by hand-written tests alone, its test's
  last assertion is negated; one engine.

Records each result in the report (`falsifications`). Exits 1 unless every one is caught.

    python tools/mutation_check.py [--changed-since REF] [--engine NAME]
                                   [--no-baseline | --no-falsifiers] [--list] [claim ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from verified_docs.document import VARIANT, Claim, Guide, Snippet
from verified_docs.falsifiers import Falsifier, FalsifierError, copy_project, load_falsifiers
from verified_docs.matrix import Engine, load_matrix
from verified_docs.plugin import report_lock
from verified_docs.report import (
    Report,
    load_report,
    records_by_test,
    save_report,
    tests_naming,
)
from verified_docs.transcripts import SECTION_MARKER, parse_transcript

ROOT = Path(__file__).resolve().parents[1]
SNIPPET_TEST = "tests/proofs/test_snippets.py::test_snippet"
MUTATION = " <- falsified by the mutation check"
CLEAN_UP = (
    "docker rm",
    "docker rmi",
    "docker image rm",
    "docker volume rm",
    "docker network rm",
    "docker container rm",
    "docker image prune",
    "docker container prune",
    "docker stop",
    "docker kill",
)
TIMEOUT = 600


@dataclass(frozen=True)
class Job:
    claim: str
    kind: str  # "falsifier" or "baseline"
    what: str  # what the edit does, for people
    file: str  # project path it edits
    engine: Engine | None  # None: the engine DOCKER_HOST reaches
    tests: tuple[str, ...]
    edit: Callable[[Path], None]  # applied to a copy of the project
    text: str = ""  # the text the edit changes, when known (narrows what it touches)


# -- The baseline: an expected-output line or a last assertion ---------------------------------


def choose_line(guide: Guide, claim: Claim) -> tuple[Snippet, int, set[str]] | None:
    """The expected-output line to falsify: in a section that binds the claim, the last line
    of the default output of a step that is not a clean-up (a Python snippet: its last default
    `# > ` line), with the engines that expect other output there (`[on NAME]`)."""
    for snippet in guide.runnable:
        for section in snippet.sections:
            if claim.id not in section.claims:
                continue
            lines = range(section.start, section.end)
            if snippet.kind == "python":
                prints = [n for n in lines if snippet.prints_at(n)]
                variants = [
                    n
                    for n in prints
                    if VARIANT.match(snippet.lines[n - 1].strip().removeprefix("# > "))
                ]
                default = [n for n in prints if not variants or n < variants[0]]
                if default:
                    return snippet, default[-1], set(snippet.engines_named())
                continue
            steps = parse_transcript(guide.root / snippet.path).steps
            for step in reversed([s for s in steps if s.line in lines]):
                if step.command.startswith(CLEAN_UP):
                    continue
                if any(line not in ("", "...") for line in step.expected.lines):
                    return snippet, step.line, set(step.variants)
    return None


def append_to_output(relative: str, step_line: int) -> Callable[[Path], None]:
    """Append the mutation marker to the last output line of the step (a Python snippet: to
    its `# > ` line)."""

    def edit(root: Path) -> None:
        path = root / relative
        lines = path.read_text().splitlines()
        last = step_line
        for number in range(step_line + 1, len(lines) + 1):
            text = lines[number - 1]
            if path.suffix == ".py" or text.startswith(("$ ", "? ")) or SECTION_MARKER.search(text):
                break
            if VARIANT.match(text):  # the default output ends where an engine's own begins
                break
            if text.strip() and text != "...":
                last = number
        lines[last - 1] += MUTATION
        path.write_text("\n".join(lines) + "\n")

    return edit


def last_assert(nodeid: str) -> tuple[str, ast.expr] | None:
    """The file and the tested expression of the last assert in the test function of nodeid."""
    file, _, name = nodeid.partition("::")
    name = name.split("[")[0].split("::")[-1]
    for node in ast.walk(ast.parse((ROOT / file).read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            asserts = [n for n in ast.walk(node) if isinstance(n, ast.Assert)]
            if asserts:
                return file, max(asserts, key=lambda n: n.lineno).test
    return None


def negate(relative: str, test: ast.expr) -> Callable[[Path], None]:
    """Turn `assert X` into `assert not (X)`."""

    def edit(root: Path) -> None:
        path = root / relative
        lines = path.read_text().splitlines()
        end = test.end_lineno or test.lineno
        end_col = test.end_col_offset or 0
        lines[end - 1] = lines[end - 1][:end_col] + ")" + lines[end - 1][end_col:]
        first = lines[test.lineno - 1]
        lines[test.lineno - 1] = first[: test.col_offset] + "not (" + first[test.col_offset :]
        path.write_text("\n".join(lines) + "\n")

    return edit


def baseline(guide: Guide, claim: Claim, tests: list[str], engines: list[Engine]) -> Job | None:
    chosen = choose_line(guide, claim)
    if chosen is not None:
        snippet, line, elsewhere = chosen
        engine = next((e for e in engines if e.name not in elsewhere), None)
        return Job(
            claim.id,
            "baseline",
            f"output line after {snippet.path}:{line} changed",
            snippet.path,
            engine,
            (f"{SNIPPET_TEST}[{snippet}]",),
            append_to_output(snippet.path, line),
        )
    for nodeid in tests:
        found = last_assert(nodeid)
        if found:
            file, expression = found
            where = f"{file}:{expression.lineno}"
            first = engines[0] if engines else None
            return Job(
                claim.id,
                "baseline",
                f"assert negated at {where}",
                file,
                first,
                (nodeid,),
                negate(file, expression),
                (ROOT / file).read_text().splitlines()[expression.lineno - 1].strip(),
            )
    return None


# -- Falsifiers ---------------------------------------------------------------------------------


def falsifier_jobs(
    falsifier: Falsifier, tests: list[str], engines: list[Engine], report: Report
) -> list[Job]:
    """The falsifier on each engine, judged by the claim's proofs that read the edited file."""
    touched = touched_by(report, falsifier.file, falsifier.replace)
    reading = tuple(sorted(set(tests) & touched))
    return [
        Job(
            falsifier.claim,
            "falsifier",
            falsifier.why,
            falsifier.file,
            engine,
            reading,
            falsifier.apply,
            falsifier.replace,
        )
        for engine in engines or [None]  # type: ignore[list-item]
    ]


# -- Running: rounds of edits whose proofs don't overlap, one pytest per round and engine ------


def tests_editing(file: str, text: str) -> set[str] | None:
    """The test functions of a test module whose bodies hold every occurrence of `text`; None
    when one occurrence is elsewhere (a fixture, a helper: any test may run it)."""
    source = (ROOT / file).read_text()
    spans = [
        (node.name, node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    found: set[str] = set()
    start = source.find(text)
    while start != -1:
        line = source.count("\n", 0, start) + 1
        names = [name for name, first, last in spans if first <= line <= last]
        if not names:
            return None
        found |= set(names)
        start = source.find(text, start + 1)
    return found


def touched_by(report: Report, file: str, text: str = "") -> set[str]:
    """The tests an edit to `file` can change: those that read it. Narrower where the file
    tells: a snippet's own test only for a transcript or a Python snippet; in a test module,
    only the tests whose bodies hold the edited text."""
    readers = {r["nodeid"] for r in report["records"] if file in r["inputs"]}
    if file.endswith((".console", ".py")) and file.startswith("snippets/"):
        own = f"{SNIPPET_TEST}[{file.removeprefix('snippets/')}]"
        readers = {t for t in readers if not t.startswith(SNIPPET_TEST) or t == own}
    elif file.startswith("tests/") and PurePosixPath(file).name.startswith("test_") and text:
        names = tests_editing(file, text)
        if names is not None:
            readers = {
                t
                for t in readers
                if not t.startswith(f"{file}::") or t.split("::")[-1].split("[")[0] in names
            }
    return readers


def rounds(jobs: list[Job], report: Report) -> list[list[Job]]:
    """Jobs packed so that no test in a round is touched by two of its edits."""
    packed: list[tuple[list[Job], set[str]]] = []
    for job in jobs:
        touches = touched_by(report, job.file, job.text) | set(job.tests)
        for members, taken in packed:
            if not touches & taken:
                members.append(job)
                taken |= touches
                break
        else:
            packed.append(([job], touches))
    return [members for members, _ in packed]


def outcomes(output: str, tests: list[str]) -> tuple[set[str], set[str]]:
    """The tests that failed and those that errored, from pytest's short summary lines
    (`FAILED <node id> - <reason>`; a node ID may hold spaces, so the known IDs are matched)."""

    def marked(word: str) -> set[str]:
        lines = [line for line in output.splitlines() if line.startswith(f"{word} ")]
        return {
            t
            for t in tests
            for line in lines
            if line == f"{word} {t}" or line.startswith(f"{word} {t} - ")
        }

    return marked("FAILED"), marked("ERROR")


def run_round(jobs: list[Job], engine: Engine | None) -> list[tuple[str, str]]:
    """Apply the round's edits to one copy, run their tests once; a result per job: caught when
    one of its tests failed, missed when they passed, broken when they could not run."""
    with tempfile.TemporaryDirectory(prefix="falsify-") as tmp:
        copy = copy_project(ROOT, Path(tmp))
        applied: dict[int, str] = {}
        for index, job in enumerate(jobs):
            try:
                job.edit(copy)
            except FalsifierError as error:
                applied[index] = str(error)
        tests = sorted({t for i, j in enumerate(jobs) if i not in applied for t in j.tests})
        env = engine.environment(dict(os.environ)) if engine else dict(os.environ)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *tests],
                cwd=copy,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=env,
            )
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            output, done = f"no result in {TIMEOUT} s", None
    failed, errors = outcomes(output, tests)
    results: list[tuple[str, str]] = []
    for index, job in enumerate(jobs):
        if index in applied:
            results.append(("broken", applied[index]))
        elif failed & set(job.tests):
            results.append(("caught", ", ".join(sorted(failed & set(job.tests)))))
        elif done is None or done.returncode not in (0, 1) or errors & set(job.tests):
            last = output.strip().splitlines()[-1:] or [""]
            results.append(("broken", last[0]))
        else:
            results.append(("missed", f"{', '.join(job.tests)} passed"))
    return results


def run_engine(
    jobs: list[Job], engine: Engine | None, report: Report
) -> list[tuple[Job, str, str]]:
    done: list[tuple[Job, str, str]] = []
    for members in rounds(jobs, report):
        results = run_round(members, engine)
        if len(members) > 1 and all(kind == "broken" for kind, _ in results):
            # One edit can stop the whole round (a module that no longer collects): each
            # job of the round is run alone, so only the edit at fault counts as broken.
            results = [run_round([job], engine)[0] for job in members]
        done += [(job, *result) for job, result in zip(members, results, strict=True)]
    return done


def changed_files(ref: str) -> set[str]:
    """Files changed since `ref` (commits and the working tree)."""
    out = subprocess.run(
        ["git", "diff", "--name-only", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def touched_claims(report: Report, changed: set[str], falsifiers: list[Falsifier]) -> set[str]:
    """Claims whose proofs read a changed file, or whose falsifiers are declared or edit one."""
    claims = {
        claim
        for record in report["records"]
        if changed & set(record["inputs"])
        for claim in record["claims"]
    }
    return claims | {f.claim for f in falsifiers if {f.declared_in, f.file} & changed}


def record_results(path: Path, results: list[dict[str, Any]], claims: set[str]) -> None:
    """This run's results replace earlier ones of the same claim and kind in the report;
    results of claims the pages no longer make are dropped."""
    with report_lock(path):
        report = load_report(path)
        if report is None:
            return
        ran = {(r["claim"], r["kind"]) for r in results}
        kept = [
            r
            for r in report.get("falsifications", [])
            if (r["claim"], r["kind"]) not in ran and r["claim"] in claims
        ]
        report["falsifications"] = sorted(kept + results, key=lambda r: (r["claim"], r["kind"]))
        save_report(report, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims", nargs="*", help="only these claims (default: all)")
    parser.add_argument("--changed-since", metavar="REF", help="only claims whose inputs changed")
    parser.add_argument("--no-baseline", action="store_true", help="falsifiers only")
    parser.add_argument("--no-falsifiers", action="store_true", help="the baseline only")
    parser.add_argument("--engine", action="append", default=[], help="only on this engine")
    parser.add_argument("--list", action="store_true", help="print what would run, run nothing")
    args = parser.parse_args()
    guide = Guide.load(ROOT)
    report = load_report(guide.report_path)
    if report is None:
        print(f"no verification report at {guide.report_path}: run `nox -s verify` first")
        return 1
    falsifiers = load_falsifiers(ROOT)
    claims = args.claims or sorted(guide.claims)
    if args.changed_since:
        touched = touched_claims(report, changed_files(args.changed_since), falsifiers)
        claims = [c for c in claims if c in touched]
        print(f"{len(claims)} claims read files changed since {args.changed_since}")
    matrix = [e for e in load_matrix() if not args.engine or e.name in args.engine]
    jobs: list[Job] = []
    problems: list[str] = []
    for claim_id in claims:
        claim = guide.claims[claim_id]
        tests = tests_naming(report, claim_id)
        engines = [e for e in matrix if claim.in_scope(e.name)]
        declared = [f for f in falsifiers if f.claim == claim_id and not args.no_falsifiers]
        if not declared and not args.no_falsifiers:
            problems.append(f"{claim_id}: no falsifier declared ({claim.location})")
        for falsifier in declared:
            # On the engines it names (where the claim is false), else the claim's own.
            where = (
                [e for e in matrix if e.name in falsifier.engines] if falsifier.engines else engines
            )
            if matrix and not where:
                continue  # none of the engines asked for
            found = falsifier_jobs(falsifier, tests, where, report)
            if found and not found[0].tests:
                problems.append(f"{claim_id}: no proof of it reads {falsifier.file}")
                continue
            jobs += found
        if not args.no_baseline and (engines or not matrix):
            job = baseline(guide, claim, tests, engines)
            if job is None:
                problems.append(f"{claim_id}: no snippet or assertion proves it")
            else:
                jobs.append(job)
    # A proof that fails already would "catch" anything: falsify only claims whose proofs
    # passed on the engine in the last run.
    records = records_by_test(report)
    unproven = {
        (job.claim, job.engine.name)
        for job in jobs
        if job.engine and guide.claims[job.claim].in_scope(job.engine.name)
        for nodeid in job.tests
        if records.get((job.engine.name, nodeid), {}).get("outcome") != "passed"
    }
    for claim_id, engine_name in sorted(unproven):
        problems.append(f"{claim_id} on {engine_name}: its proofs did not pass, not falsified")
    jobs = [j for j in jobs if not j.engine or (j.claim, j.engine.name) not in unproven]
    if args.list:
        for job in jobs:
            engine = job.engine.name if job.engine else "default"
            print(f"{job.claim} on {engine}: {job.kind}: {job.what} ({job.file})")
        print(f"{len(jobs)} runs in {len(rounds(jobs, report))} rounds")
        return 0
    started = time.monotonic()
    by_engine: dict[str, list[Job]] = {}
    for job in jobs:
        by_engine.setdefault(job.engine.name if job.engine else "default", []).append(job)
    with ThreadPoolExecutor(max_workers=max(1, len(by_engine))) as pool:
        futures = [
            pool.submit(run_engine, members, members[0].engine, report)
            for members in by_engine.values()
        ]
        outcomes = [outcome for future in futures for outcome in future.result()]
    wall = time.monotonic() - started
    results: list[dict[str, Any]] = []
    for job, result, detail in outcomes:
        engine = job.engine.name if job.engine else "default"
        print(f"{result:7} {job.claim} on {engine}: {job.kind}: {job.what} ({job.file})")
        if result != "caught":
            problems.append(f"{job.claim} on {engine}: {job.kind} {result}: {job.what}: {detail}")
        results.append(
            {
                "claim": job.claim,
                "kind": job.kind,
                "what": job.what,
                "file": job.file,
                "engine": engine,
                "result": result,
            }
        )
    record_results(guide.report_path, results, set(guide.claims))
    caught = sum(r["result"] == "caught" for r in results)
    for kind in ("falsifier", "baseline"):
        of_kind = [r for r in results if r["kind"] == kind]
        hits = sum(r["result"] == "caught" for r in of_kind)
        print(f"{kind}s: {hits}/{len(of_kind)} caught")
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"falsification: {caught}/{len(results)} caught in {wall:.0f} s")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
