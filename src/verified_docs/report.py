"""The verification report: one record per test and engine, and the claim statuses they give.

A record says what one test did on one engine: outcome, duration, the claims it names, the
evidence it captured, and the sha256 of every file it read (pages, snippets, its test files,
the verifier). A claim is verified on an engine only when every test that names it has a
passing record there whose inputs are still the current files. The report writer and the
Markdown extension both ask `claim_status`, so the two can't disagree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

Status = Literal["verified", "failing", "stale", "unverified"]
STATUSES: tuple[Status, ...] = ("verified", "failing", "stale", "unverified")
SEVERITY: tuple[Status, ...] = ("failing", "unverified", "stale", "verified")  # worst first
SCHEMA = 2

Digest = Callable[[str], "str | None"]  # a project file's sha256 now (None: it is gone)


class StepOutput(TypedDict):
    line: int  # of the command in its snippet
    command: str
    output: list[str]  # as printed, with the snippet's names
    exit_code: int


class Evidence(TypedDict):
    label: str
    text: str
    steps: NotRequired[list[StepOutput]]  # a snippet's real output, command by command


class Record(TypedDict):
    nodeid: str
    engine: str
    outcome: str  # passed, failed, error, skipped
    duration: float  # seconds: setup, call and teardown
    finished_at: str
    claims: list[str]
    evidence: list[Evidence]
    inputs: dict[str, str]  # project path -> sha256 of what the test read
    branches_declared: NotRequired[list[str]]  # @pytest.mark.branches: what must run somewhere
    branches_reached: NotRequired[list[str]]  # the branches this run took


class Falsification(TypedDict):
    claim: str
    kind: str  # "falsifier" (a declared edit) or "baseline" (an output line or an assertion)
    what: str  # what the edit does
    file: str  # the file it edits
    engine: str
    result: str  # caught, missed or broken


class Report(TypedDict):
    schema: int
    generated_at: str
    git_commit: str
    git_dirty: bool
    engines: dict[str, dict[str, str]]  # name -> what the engine said of itself
    tests: dict[str, list[str]]  # every known proof's node ID -> the claims it names
    records: list[Record]
    base_images: dict[str, dict[str, Any]]
    measurements: dict[str, Any]
    overhead: NotRequired[list[dict[str, Any]]]  # only from `nox -s bench`
    falsifications: NotRequired[list[Falsification]]  # only from `nox -s mutation`


def is_current(record: Record, digest: Digest) -> bool:
    return all(digest(path) == sha for path, sha in record["inputs"].items())


def records_by_test(report: Report) -> dict[tuple[str, str], Record]:
    return {(r["engine"], r["nodeid"]): r for r in report["records"]}


def tests_naming(report: Report, claim_id: str) -> list[str]:
    return sorted(nodeid for nodeid, claims in report["tests"].items() if claim_id in claims)


def claim_status(report: Report, claim_id: str, engine: str, digest: Digest) -> Status:
    """Verified only when every test that names the claim passed on this engine, on the
    files as they are now; failing when one failed; stale when a record's inputs changed."""
    tests = tests_naming(report, claim_id)
    if not tests:
        return "unverified"
    records = records_by_test(report)
    found = [records.get((engine, nodeid)) for nodeid in tests]
    if any(r is not None and r["outcome"] in ("failed", "error") for r in found):
        return "failing"
    if any(r is None or r["outcome"] != "passed" for r in found):
        return "unverified"
    if not all(is_current(r, digest) for r in found if r is not None):
        return "stale"
    return "verified"


def gating_engines(report: Report) -> list[str]:
    """The engines whose results decide: all but those reported as an extra column (a CI
    runner's own engine, say: VERIFIED_DOCS_ENGINE_ROLE=extra)."""
    return [name for name, facts in report["engines"].items() if facts.get("role") != "extra"]


def overall_status(
    report: Report, claim_id: str, digest: Digest, scope: Iterable[str] = ()
) -> Status:
    """The worst of the claim's statuses over the engines of its scope (default: the
    report's gating engines); unverified when none of them ran."""
    engines = list(scope) or gating_engines(report)
    statuses = [claim_status(report, claim_id, engine, digest) for engine in engines]
    return min(statuses, key=SEVERITY.index, default="unverified")


def merge(previous: Report | None, ran: Iterable[Record], digest: Digest) -> list[Record]:
    """This run's records, plus earlier ones of tests that didn't run whose inputs are unchanged."""
    records = {(r["engine"], r["nodeid"]): r for r in ran}
    for record in (previous or {"records": []})["records"]:
        key = (record["engine"], record["nodeid"])
        if key not in records and is_current(record, digest):
            records[key] = record
    return sorted(records.values(), key=lambda r: (r["nodeid"], r["engine"]))


def combine(reports: list[Report]) -> Report:
    """One report from the reports of separate runs (a CI job per engine): every record,
    the newest of two records of one test on one engine."""
    newest = max(reports, key=lambda r: r["generated_at"])
    records: dict[tuple[str, str], Record] = {}
    for report in sorted(reports, key=lambda r: r["generated_at"]):
        records |= {(r["engine"], r["nodeid"]): r for r in report["records"]}
    return {
        **newest,
        "engines": {k: v for r in reports for k, v in r["engines"].items()},
        "tests": {k: v for r in reports for k, v in r["tests"].items()},
        "records": sorted(records.values(), key=lambda r: (r["nodeid"], r["engine"])),
        "base_images": {k: v for r in reports for k, v in r["base_images"].items()},
        "measurements": {k: v for r in reports for k, v in r["measurements"].items()},
        "falsifications": [f for r in reports for f in r.get("falsifications", [])],
    }


def load_report(path: Path) -> Report | None:
    """The report at `path`; None when there is none or it has an older schema."""
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    return report if report.get("schema") == SCHEMA else None


def save_report(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    """`python -m verified_docs.report OUT IN...`: combine the reports of separate runs."""
    if len(argv) < 2:
        print("usage: python -m verified_docs.report OUT.json IN.json...", file=sys.stderr)
        return 2
    found = [load_report(Path(name)) for name in argv[1:]]
    missing = [name for name, report in zip(argv[1:], found, strict=True) if report is None]
    if missing:
        print(f"not a verification report (schema {SCHEMA}): {', '.join(missing)}", file=sys.stderr)
        return 2
    save_report(combine([r for r in found if r is not None]), Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
