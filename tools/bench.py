"""Benchmarks: verify wall time (whole, per page, per claim), harness overhead against plain
docker CLI replay, incremental verification, and the strict site build. Prints numbers; asserts
nothing (goals: ratio <= 1.3, whole guide < 90 s, one edited page < 15 s, build < 5 s).

    python tools/bench.py [--page docs/containers/lifecycle.md]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

import docker  # noqa: E402
from harness.console import replace_tokens, run_console, stage, unique_names  # noqa: E402
from harness.images import provision_busybox  # noqa: E402
from harness.resources import reap_run  # noqa: E402
from harness.transcripts import parse_transcript  # noqa: E402

REPORT = ROOT / "reports" / "verification.json"
PROOFS = [
    "tests",
    "--ignore=tests/site",
    "--ignore=tests/reliability",
    "-p",
    "no:cacheprovider",
    "-n",
    "2",
]


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def replay_plain(path: Path, mapping: dict[str, str]) -> float:
    """The transcript's commands through bash and the docker CLI, with no comparison."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        stage(path.parent, work, mapping)
        started = time.monotonic()
        for step in parse_transcript(path).steps:
            subprocess.run(
                ["bash", "-c", replace_tokens(step.command, mapping)],
                cwd=work,
                capture_output=True,
                timeout=120,
                check=False,
            )
        return time.monotonic() - started


def overhead(client: docker.DockerClient) -> tuple[float, float]:
    """Seconds through the harness and through plain replay, transcript by transcript."""
    base = provision_busybox(client)
    harness_s = plain_s = 0.0
    try:
        for path in sorted((ROOT / "snippets").rglob("*.console")):
            mapping = {base.reader_ref: base.local_ref}
            started = time.monotonic()
            run_console(path, client, mapping)
            harness_s += time.monotonic() - started
            # Same names as the harness would give, so the replay does the same operations.
            plain_s += replay_plain(path, mapping | _suffixed(path, mapping))
            for container in client.containers.list(all=True, filters={"name": "-bench"}):
                container.remove(force=True, v=True)
    finally:
        reap_run(client)
    return harness_s, plain_s


def _suffixed(path: Path, taken: dict[str, str]) -> dict[str, str]:
    texts = [step.command for step in parse_transcript(path).steps]
    texts += [script.read_text() for script in path.parent.glob("*.py")]
    return unique_names(texts, taken, suffix="bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="docs/containers/lifecycle.md")
    args = parser.parse_args()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="true", VERIFIED_DOCS_PUBLISH="1")

    whole = timed([sys.executable, "-m", "pytest", *PROOFS, f"--claims-report={REPORT}"])
    report = json.loads(REPORT.read_text())
    per_page: dict[str, dict[str, float]] = defaultdict(dict)
    print(f"verify, whole guide: {whole:.1f} s wall ({len(report['claims'])} claims)")
    for result in report["claims"].values():
        for test in result["tests"]:
            per_page[result["page"]][test["nodeid"]] = test["duration"]
    print("per page (sum of its proofs' durations):")
    for page, tests in sorted(per_page.items()):
        print(f"  {sum(tests.values()):6.1f} s  {page}")
    print("per claim (sum of its proofs' durations):")
    for claim_id, result in sorted(report["claims"].items()):
        print(f"  {sum(t['duration'] for t in result['tests']):6.1f} s  {claim_id}")

    incremental = timed(
        [
            sys.executable,
            "-m",
            "pytest",
            *PROOFS,
            f"--claims-report={REPORT}",
            f"--changed={args.page}",
        ]
    )
    print(f"verify, one edited page ({args.page}): {incremental:.1f} s wall")
    shutil.rmtree(ROOT / "site", ignore_errors=True)
    build = timed(["mkdocs", "build", "--strict"], env=env)
    print(f"strict site build: {build:.1f} s wall")

    client = docker.from_env()
    harness_s, plain_s = overhead(client)
    print(
        f"harness overhead: {harness_s:.1f} s through the harness vs {plain_s:.1f} s plain docker "
        f"CLI for the same transcripts: ratio {harness_s / plain_s:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
