"""Falsify each claim's proof in turn and confirm the suite notices.

For every claim, take a snippet section that binds it (`proves:`), change the expected output
of its last step that is not a clean-up (`docker rm ...`), run that snippet's test, and expect
it to fail. A claim proven by hand-written tests alone has the last assertion of its test
negated instead. Prints caught/total; exits 1 below 100 %.

    python tools/mutation_check.py [claim-id ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path

from verified_docs.document import VARIANT, Claim, Guide, Snippet
from verified_docs.matrix import Engine, load_matrix
from verified_docs.report import load_report, tests_naming
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
)
TIMEOUT = 300


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


def falsify(path: Path, step_line: int) -> str:
    """Append the mutation marker to the last output line of the step (a Python snippet: to
    its `# > ` line); return the original."""
    original = path.read_text()
    lines = original.splitlines()
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
    return original


def last_assert(nodeid: str) -> tuple[Path, ast.expr] | None:
    """The file and the tested expression of the last assert in the test function of nodeid."""
    file, _, name = nodeid.partition("::")
    name = name.split("[")[0].split("::")[-1]
    path = ROOT / file
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            asserts = [n for n in ast.walk(node) if isinstance(n, ast.Assert)]
            if asserts:
                return path, max(asserts, key=lambda n: n.lineno).test
    return None


def negate_assert(path: Path, test: ast.expr) -> str:
    """Turn `assert X` into `assert not (X)`; return the original source."""
    original = path.read_text()
    lines = original.splitlines()
    end_line = lines[test.end_lineno - 1]  # type: ignore[operator]
    lines[test.end_lineno - 1] = (
        end_line[: test.end_col_offset] + ")" + end_line[test.end_col_offset :]
    )  # type: ignore[operator]
    first = lines[test.lineno - 1]
    lines[test.lineno - 1] = first[: test.col_offset] + "not (" + first[test.col_offset :]
    path.write_text("\n".join(lines) + "\n")
    return original


def mutate(
    guide: Guide, claim: Claim, tests: list[str]
) -> tuple[Path, int, str, list[str], str, set[str]] | None:
    """Falsify the claim's proof: a snippet's expected output if a snippet proves it,
    otherwise the last assertion of its test. Returns what to run, how to restore it, and the
    engines the falsified line does not apply to."""
    chosen = choose_line(guide, claim)
    if chosen is not None:
        snippet, line, elsewhere = chosen
        path = guide.root / snippet.path
        test = f"{SNIPPET_TEST}[{snippet}]"
        return path, line, falsify(path, line), [test], MUTATION.strip(), elsewhere
    for nodeid in tests:
        found = last_assert(nodeid)
        if found:
            path, expression = found
            original = negate_assert(path, expression)
            return path, expression.lineno, original, [nodeid], "1 failed", set()
    return None


def engine_for(claim: Claim, elsewhere: set[str]) -> Engine | None:
    """An engine of the matrix that the claim holds on and that expects the falsified line
    (None: the one DOCKER_HOST reaches)."""
    engines = [e for e in load_matrix() if claim.in_scope(e.name) and e.name not in elsewhere]
    return engines[0] if engines else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims", nargs="*", help="only these claims (default: all)")
    args = parser.parse_args()
    guide = Guide.load(ROOT)
    report = load_report(guide.report_path)
    if report is None:
        print(f"no verification report at {guide.report_path}: run `nox -s verify` first")
        return 1
    caught, missed = 0, []
    started = time.monotonic()
    for claim_id in args.claims or sorted(guide.claims):
        mutation = mutate(guide, guide.claims[claim_id], tests_naming(report, claim_id))
        if mutation is None:
            missed.append(f"{claim_id}: no snippet or assertion proves it, nothing to falsify")
            continue
        path, line, original, tests, sign, elsewhere = mutation
        engine = engine_for(guide.claims[claim_id], elsewhere)
        try:
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=engine.environment(dict(os.environ)) if engine else None,
            )
        finally:
            path.write_text(original)
        where = f"{path.relative_to(ROOT)}:{line}"
        if run.returncode == 1 and sign in run.stdout:
            caught += 1
            print(f"caught  {claim_id}: falsified {where}")
        else:
            missed.append(f"{claim_id}: falsified {where} but {tests} did not fail as expected")
    total = caught + len(missed)
    for line in missed:
        print(f"MISSED  {line}")
    score = 100 * caught / total if total else 0
    print(f"mutation score: {caught}/{total} = {score:.0f} % in {time.monotonic() - started:.0f} s")
    return 0 if total and caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
