"""The verification report: what the suite proved, where, when and with which inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

Status = Literal["verified", "failing", "unverified"]
SCHEMA = 1
DEFAULT_PATH = Path("reports/verification.json")


class TestResult(TypedDict):
    nodeid: str
    outcome: str  # passed, failed, skipped, error
    duration: float  # seconds, setup + call + teardown


class Evidence(TypedDict):
    test: str
    label: str
    text: str


class ClaimResult(TypedDict):
    status: Status
    page: str
    tests: list[TestResult]
    evidence: list[Evidence]
    verified_at: NotRequired[str]  # when the run that proved it finished


class Report(TypedDict):
    schema: int
    generated_at: str
    git_commit: str
    git_dirty: bool
    inputs_digest: str
    files: NotRequired[dict[str, str]]  # sha256 of each input, for incremental runs
    engine: dict[str, str]
    base_images: dict[str, dict[str, Any]]
    measurements: NotRequired[dict[str, Any]]
    overhead: NotRequired[list[dict[str, Any]]]  # only from `nox -s bench`
    claims: dict[str, ClaimResult]


def claim_status(tests: list[TestResult]) -> Status:
    """Verified only when at least one test ran and every test that names the claim passed."""
    outcomes = {test["outcome"] for test in tests}
    if outcomes & {"failed", "error"}:
        return "failing"
    if outcomes == {"passed"}:
        return "verified"
    return "unverified"


def load_report(path: Path) -> Report | None:
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    if report.get("schema") != SCHEMA:
        raise ValueError(f"{path}: report schema {report.get('schema')} is not {SCHEMA}")
    return report


def save_report(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
