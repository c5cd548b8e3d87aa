"""Benchmarks: verify wall time on the whole engine matrix and on one engine (per page, per
claim), harness overhead per engine against plain docker CLI replay, incremental verification,
the falsifier run and the strict site build. Prints numbers; asserts nothing (goals: the matrix
< 4 min, one engine < 60 s, overhead ratio <= 1.1 per engine, one edited page < 15 s, build
< 5 s).

    python tools/bench.py [--page docs/containers/lifecycle.md] [--engine 28.5-containerd]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from verified_docs.document import Guide
from verified_docs.report import load_report

ROOT = Path(__file__).resolve().parents[1]
GUIDE = Guide.load(ROOT)
PROOFS = ["tests/proofs", "-p", "no:cacheprovider"]
PARALLEL = ["-n", "2"]
MATRIX = [sys.executable, "-m", "verified_docs.matrix"]


def timed(command: list[str], check: bool = True, **env: str) -> float:
    started = time.monotonic()
    subprocess.run(
        command, cwd=ROOT, check=check, env=dict(os.environ, **env), stdout=subprocess.DEVNULL
    )
    return time.monotonic() - started


def pytest(*args: str, engines: tuple[str, ...] = ()) -> list[str]:
    """The proofs through the matrix: on every engine, or on those named."""
    chosen = [arg for engine in engines for arg in ("--engine", engine)]
    return [*MATRIX, *chosen, "--", *PROOFS, "--claims-report", *args]


def report() -> dict:
    loaded = load_report(GUIDE.report_path)
    assert loaded is not None, "the run wrote no report"
    return dict(loaded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="docs/containers/lifecycle.md")
    parser.add_argument("--engine", default="28.5-containerd", help="the one-engine run")
    args = parser.parse_args()
    one = (args.engine,)

    whole = timed(pytest(*PARALLEL))
    engines = report()["engines"]
    print(
        f"verify, whole guide on the matrix ({', '.join(engines)}), side by side on 2 cores: "
        f"{whole:.1f} s wall"
    )
    single = timed(pytest(*PARALLEL, engines=one))
    records = [r for r in report()["records"] if r["engine"] == args.engine]
    print(
        f"verify, whole guide on {args.engine} alone: {single:.1f} s wall "
        f"({len(GUIDE.claims)} claims, {len(records)} tests)"
    )
    per_page: dict[str, dict[str, float]] = defaultdict(dict)
    per_claim: dict[str, float] = defaultdict(float)
    for record in records:
        for claim_id in record["claims"]:
            per_page[GUIDE.claims[claim_id].page][record["nodeid"]] = record["duration"]
            per_claim[claim_id] += record["duration"]
    print("per page (sum of its proofs' durations):")
    for page, tests in sorted(per_page.items()):
        print(f"  {sum(tests.values()):6.1f} s  {page}")
    print("per claim (sum of its proofs' durations):")
    for claim_id, seconds in sorted(per_claim.items()):
        print(f"  {seconds:6.1f} s  {claim_id}")

    incremental = timed(pytest(*PARALLEL, f"--changed={args.page}", engines=one))
    print(f"verify, one edited page ({args.page}) on {args.engine}: {incremental:.1f} s wall")

    # Every claim's falsifiers on every engine of its scope (the run `main` gets in CI).
    falsify = timed([sys.executable, "tools/mutation_check.py", "--no-baseline"], check=False)
    ran = [f for f in report().get("falsifications", []) if f["kind"] == "falsifier"]
    caught = sum(f["result"] == "caught" for f in ran)
    print(
        f"falsifiers, every claim on every engine of its scope: {falsify:.1f} s wall "
        f"({len(ran)} runs, {caught} caught)"
    )

    shutil.rmtree(ROOT / "site", ignore_errors=True)
    build = timed(["mkdocs", "build", "--strict"], VERIFIED_DOCS_PUBLISH="1")
    print(f"strict site build: {build:.1f} s wall")

    # Every snippet run by the suite, then at once the same commands through plain bash and
    # the docker CLI (same names, same order), serially so that the two are comparable; one
    # engine at a time, so that the engines don't slow each other down.
    for engine in engines:
        timed(pytest("-k", "test_snippet", engines=(engine,)), VERIFIED_DOCS_MEASURE_OVERHEAD="1")
        pairs = [p for p in report().get("overhead", []) if p["engine"] == engine]
        harness_s = sum(p["harness"] for p in pairs)
        plain_s = sum(p["plain"] for p in pairs)
        print(
            f"harness overhead on {engine} over {len(pairs)} snippets: {harness_s:.1f} s through "
            f"the harness vs {plain_s:.1f} s plain docker CLI: ratio {harness_s / plain_s:.2f}"
        )
    # Leave a report of the whole guide behind, not of the overhead run.
    timed(pytest(*PARALLEL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
