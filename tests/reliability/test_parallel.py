"""Runs don't interfere: two suites at once on one engine, one of them on both cores."""

from __future__ import annotations

import subprocess
import sys
import uuid

from verified_docs.report import load_report

from .conftest import CHILD_TIMEOUT, child_env, leftovers

PROOFS = [
    "tests/proofs/containers/test_writable_layer.py",
    "tests/proofs/images/test_rebuild.py",
    "tests/proofs/test_snippets.py",
    "-k",
    "writable_layer or writable-layer or rebuild",
]


def test_two_suites_at_once_one_under_xdist_agree(docker_client, tmp_path, guide):
    runs = {}
    for name, extra in {"serial": [], "xdist": ["-n", "2"]}.items():
        run_id = f"{name}{uuid.uuid4().hex[:8]}"
        report = tmp_path / f"{name}.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--claims-report={report}",
            *extra,
            *PROOFS,
        ]
        process = subprocess.Popen(
            command,
            cwd=guide.root,
            env=child_env(run_id),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        runs[name] = (process, report, run_id)
    statuses = {}
    for name, (process, report, run_id) in runs.items():
        output, _ = process.communicate(timeout=CHILD_TIMEOUT)
        assert process.returncode == 0, f"{name} run failed:\n{output}"
        written = load_report(report)
        assert written is not None, f"{name} run wrote no report"
        statuses[name] = {r["nodeid"]: r["outcome"] for r in written["records"]}
        assert leftovers(docker_client, run_id) == {}
    assert statuses["serial"] == statuses["xdist"]
    assert set(statuses["serial"].values()) == {"passed"}
