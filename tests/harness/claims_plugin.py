"""pytest plugin: tests name the claims they prove; the run writes the verification report.

    @pytest.mark.claim("tags-move-ids-do-not")
    def test_rebuilding_moves_the_tag(...): ...

Naming a claim that no page makes is a usage error. With --claims-report=PATH the run writes
the report that the site build renders (works under pytest-xdist: results travel in reports).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.affected import affected_claims
from harness.engine import EngineUnavailable, connect, describe
from harness.paths import DOCS, ROOT
from harness.resources import RUN_ID
from verified_docs.claims import collect_claims
from verified_docs.inputs import input_files, inputs_digest
from verified_docs.report import (
    SCHEMA,
    ClaimResult,
    Evidence,
    Report,
    TestResult,
    claim_status,
    load_report,
)
from verified_docs.report import save_report as write_report

CLAIMS = "verified_docs.claims"
EVIDENCE = "verified_docs.evidence"
BASE_IMAGE = "verified_docs.base_image"
MEASUREMENT = "verified_docs.measurement"
OVERHEAD = "verified_docs.overhead"  # harness vs plain docker CLI seconds, per transcript


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verified-docs")
    group.addoption("--claims-report", metavar="PATH", help="write the verification report")
    group.addoption(
        "--changed",
        action="append",
        default=[],
        metavar="PATH",
        help="run only the proofs of claims an edit to PATH (in docs/ or snippets/) affects",
    )
    group.addoption(
        "--update-transcripts",
        action="store_true",
        help="rewrite the expected output of transcripts that differ, for review in git",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    claims = collect_claims(DOCS)
    unknown = []
    for item in items:
        named = [claim for mark in item.iter_markers("claim") for claim in mark.args]
        for claim_id in named:
            if claim_id not in claims:
                path, line, _ = item.location
                unknown.append(
                    f"{path}:{(line or 0) + 1}: {item.name} names claim {claim_id!r}, "
                    "which no page in docs/ makes"
                )
        item.user_properties.append((CLAIMS, named))
    if unknown:
        raise pytest.UsageError("\n".join(unknown))
    changed = config.getoption("--changed")
    if changed:
        affected = affected_claims(changed, claims)
        keep = [i for i in items if affected & set(dict(i.user_properties).get(CLAIMS, []))]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Record output that proves a claim; the verification page shows it (escaped)."""

    def record(label: str, text: str) -> None:
        request.node.user_properties.append((EVIDENCE, {"label": label, "text": text}))

    return record


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Callable[[str, float, str], None]:
    """Record a number measured in this run; pages show it with `[[measured:name]]`."""

    def record(name: str, value: float, unit: str) -> None:
        item = {"name": name, "value": value, "unit": unit, "test": request.node.nodeid}
        request.node.user_properties.append((MEASUREMENT, item))

    return record


class ReportWriter:
    """Collects test reports (also from xdist workers) and writes the verification report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tests: dict[str, dict[str, Any]] = {}
        self.base_images: dict[str, dict[str, Any]] = {}
        self.measurements: dict[str, dict[str, Any]] = {}
        self.overhead: list[dict[str, Any]] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.setdefault(
            report.nodeid, {"outcome": "passed", "duration": 0.0, "claims": [], "evidence": []}
        )
        test["duration"] += report.duration
        if report.failed:
            test["outcome"] = "failed" if report.when == "call" else "error"
        elif report.skipped and test["outcome"] == "passed":
            test["outcome"] = "skipped"
        for key, value in report.user_properties:
            if key == CLAIMS:
                test["claims"] = list(value)
            elif key == EVIDENCE and value not in test["evidence"]:
                test["evidence"].append(value)
            elif key == BASE_IMAGE:
                self.base_images[value["stands_for"]] = value
            elif key == MEASUREMENT:
                self.measurements[value["name"]] = value
            elif key == OVERHEAD and value not in self.overhead:
                self.overhead.append(value)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        claims = collect_claims(DOCS)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        engine = _engine()
        files = input_files(ROOT)
        results: dict[str, ClaimResult] = {}
        for claim in claims.values():
            tests: list[TestResult] = []
            evidence: list[Evidence] = []
            for nodeid, test in self.tests.items():
                if claim.id in test["claims"]:
                    tests.append(
                        {"nodeid": nodeid, "outcome": test["outcome"], "duration": test["duration"]}
                    )
                    evidence += [{"test": nodeid, **item} for item in test["evidence"]]
            if tests:
                results[claim.id] = {
                    "status": claim_status(tests),
                    "page": claim.page,
                    "tests": tests,
                    "evidence": evidence,
                    "verified_at": now,
                }
        previous = _previous_report(self.path)
        carried = _still_valid(previous, claims, files, engine) - set(results)
        results |= {claim_id: previous["claims"][claim_id] for claim_id in carried}
        report: Report = {
            "schema": SCHEMA,
            "generated_at": now,
            "git_commit": _git("rev-parse", "HEAD") or "uncommitted",
            "git_dirty": bool(_git("status", "--porcelain", "--", "docs", "snippets", "tests")),
            "inputs_digest": inputs_digest(ROOT),
            "files": files,
            "engine": engine,
            "base_images": (previous or {}).get("base_images", {}) | self.base_images,
            "measurements": (previous or {}).get("measurements", {}) | self.measurements,
            "claims": dict(sorted(results.items())),
        }
        if self.overhead:
            report["overhead"] = self.overhead
        write_report(report, self.path)
        counts = [r["status"] for r in results.values()]
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"verification report: {self.path} ({len(claims)} claims: "
            f"{counts.count('verified')} verified, {counts.count('failing')} failing, "
            f"{len(claims) - len(counts) + counts.count('unverified')} unverified"
            + (f"; {len(carried)} carried over from the previous report" if carried else "")
            + ")"
        )


def _previous_report(path: Path) -> Report | None:
    try:
        return load_report(path)
    except ValueError:
        return None


def _still_valid(
    previous: Report | None, claims: dict[str, Any], files: dict[str, str], engine: dict[str, str]
) -> set[str]:
    """Verified claims of the previous report that no edit since could have changed."""
    if not previous or previous.get("engine", {}).get("version") != engine.get("version"):
        return set()
    before = previous.get("files", {})
    edited = {path for path in before.keys() | files.keys() if before.get(path) != files.get(path)}
    return {
        claim_id
        for claim_id, result in previous["claims"].items()
        if claim_id in claims and result["status"] == "verified"
    } - affected_claims(edited, claims)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _engine() -> dict[str, str]:
    try:
        return describe(connect(timeout=10))
    except EngineUnavailable as error:
        return {"version": "unavailable", "error": str(error)}


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("IVC_RUN_ID", RUN_ID)  # xdist workers, started later, share it
    path = config.getoption("--claims-report")
    if path and not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        config.pluginmanager.register(ReportWriter(Path(path)), "verified_docs_report")
