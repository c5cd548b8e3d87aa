"""A run leaves nothing behind: not when it passes, not when it fails, not when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

from .conftest import SCENARIOS, child_command, child_env, leftovers

LEAVES = "scenario_leaves_resources.py"


def test_a_passing_run_leaves_nothing(run_child, docker_client):
    child = run_child(f"{LEAVES}::test_passes_and_leaves_resources")
    assert child.returncode == 0, child.output
    assert leftovers(docker_client, child.run_id) == {}


def test_a_failing_run_leaves_nothing(run_child, docker_client):
    child = run_child(f"{LEAVES}::test_fails_and_leaves_resources")
    assert child.returncode == 1, child.output
    assert leftovers(docker_client, child.run_id) == {}


def test_the_next_run_removes_what_a_killed_run_left(run_child, docker_client, tmp_path, guide):
    ready = tmp_path / "ready"
    killed_id = "killed" + uuid.uuid4().hex[:8]
    victim = subprocess.Popen(
        child_command(str(SCENARIOS / f"{LEAVES}::test_is_killed_while_holding_resources")),
        cwd=guide.root,
        env=child_env(killed_id, VERIFIED_DOCS_SCENARIO_READY=str(ready)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert victim.poll() is None, "the scenario ended before it was killed"
            assert time.monotonic() < deadline, "the scenario never got ready"
            time.sleep(0.2)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    left = leftovers(docker_client, killed_id)
    assert set(left) == {"containers", "images", "volumes", "networks"}

    child = run_child(f"{LEAVES}::test_passes_and_leaves_resources")
    assert child.returncode == 0, child.output
    assert leftovers(docker_client, killed_id) == {}
    assert leftovers(docker_client, child.run_id) == {}
