"""Falsify each claim's proof in turn and confirm the suite notices.

For every claim, take a transcript that proves it (from the verification report's evidence),
change the expected output of the step that the claim's page shows nearest to the claim, run
the test that ran the transcript, and expect it to fail. A claim proven by Python tests alone
has the last assertion of its test negated instead. Prints caught/total; exits 1 below 100 %.

    python tools/mutation_check.py [--report reports/verification.json] [claim-id ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from harness.includes import all_includes  # noqa: E402
from harness.transcripts import SECTION_MARKER, parse_transcript  # noqa: E402

from verified_docs.claims import Claim, collect_claims  # noqa: E402

MUTATION = " <- falsified by the mutation check"
TIMEOUT = 300


def section_lines(path: Path, section: str | None) -> range:
    lines = path.read_text().splitlines()
    if section is None:
        return range(1, len(lines) + 1)
    start = next(i for i, line in enumerate(lines, 1) if f"[start:{section}]" in line)
    end = next(i for i, line in enumerate(lines, 1) if f"[end:{section}]" in line)
    return range(start, end + 1)


def choose_step(claim: Claim, transcripts: list[str]) -> tuple[Path, int] | None:
    """The transcript line to falsify: the last output line of the section shown nearest after
    the claim (or before it, or anywhere in the transcript)."""
    includes = [
        i
        for i in all_includes()
        if i.page.relative_to(ROOT / "docs").as_posix() == claim.page and i.path in transcripts
    ]
    includes.sort(key=lambda i: (i.line < claim.line, abs(i.line - claim.line)))
    candidates = [(i.path, i.section) for i in includes] + [(t, None) for t in transcripts]
    for relative, section in candidates:
        path = ROOT / relative
        allowed = section_lines(path, section)
        for step in reversed(parse_transcript(path).steps):
            if step.line in allowed and any(line not in ("", "...") for line in step.expected):
                return path, step.line
    return None


def falsify(path: Path, step_line: int) -> str:
    """Append the mutation marker to the last output line of the step; return the original."""
    original = path.read_text()
    lines = original.splitlines()
    last = step_line
    for number in range(step_line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.startswith("$ ") or text.startswith("? ") or SECTION_MARKER.search(text):
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


def mutate(claim: Claim, result: dict) -> tuple[Path, int, str, list[str], str] | None:
    """Falsify the claim's proof: its transcript's expected output if a transcript proves it,
    otherwise the last assertion of its test. Returns what to run and how to restore it."""
    evidence = [e for e in result.get("evidence", []) if e["label"].endswith(".console")]
    transcripts = sorted({e["label"] for e in evidence})
    target = choose_step(claim, transcripts) if transcripts else None
    if target is not None:
        path, line = target
        label = path.relative_to(ROOT).as_posix()
        tests = sorted({e["test"] for e in evidence if e["label"] == label})
        return path, line, falsify(path, line), tests, MUTATION.strip()
    for test in result.get("tests", []):
        found = last_assert(test["nodeid"])
        if found:
            path, expression = found
            original = negate_assert(path, expression)
            return path, expression.lineno, original, [test["nodeid"]], "1 failed"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", default=ROOT / "reports" / "verification.json", type=Path)
    parser.add_argument("claims", nargs="*", help="only these claims (default: all)")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    claims = collect_claims(ROOT / "docs")
    caught, missed = 0, []
    started = time.monotonic()
    for claim_id in args.claims or sorted(claims):
        mutation = mutate(claims[claim_id], report["claims"].get(claim_id) or {})
        if mutation is None:
            missed.append(f"{claim_id}: no transcript or assertion proves it, nothing to falsify")
            continue
        path, line, original, tests, sign = mutation
        try:
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
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
