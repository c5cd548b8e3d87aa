"""The matrix recovers by itself: after a `kill -9` of an engine's dockerd and containerd, the
next `scripts/engines.sh up` clears the stale pid files, sockets and mounts and starts it again.

Run alone (`nox -s engines`), before the proofs: it kills engines that other runs would use.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from verified_docs.matrix import load_matrix

SIDE_BY_SIDE = [e for e in load_matrix() if e.name != "20.10"]  # 20.10 is docker-engine.sh's
UP_SECONDS = 120


def pids_of(engine: str) -> list[int]:
    """dockerd and containerd processes of one engine (named by its run folder or config)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"/{engine}/" in command and command.split()[0].endswith(("dockerd", "containerd")):
            found.append(int(proc.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def answers(engine) -> bool:
    """Whether the engine's daemon answers (`docker info` exits 0 on some CLIs without one:
    its server version is the answer)."""
    done = subprocess.run(
        [engine.docker, "-H", engine.docker_host, "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode == 0 and bool(done.stdout.strip())


def test_the_matrix_is_up():
    assert SIDE_BY_SIDE, "no engines beside 20.10: run `bash scripts/engines.sh up` first"


@pytest.mark.parametrize("engine", SIDE_BY_SIDE, ids=lambda e: e.name)
def test_an_engine_killed_with_sigkill_comes_back_with_the_next_up(engine, pytestconfig):
    killed = pids_of(engine.name)
    assert killed, f"engine {engine.name} runs no dockerd"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in killed):
        assert time.monotonic() < deadline, f"engine {engine.name} survived SIGKILL"
        time.sleep(0.2)
    assert not answers(engine)
    up = subprocess.run(
        ["bash", "scripts/engines.sh", "up", engine.name],
        cwd=pytestconfig.rootpath,
        capture_output=True,
        text=True,
        timeout=UP_SECONDS,
    )
    assert up.returncode == 0, up.stderr
    assert answers(engine)
    assert set(pids_of(engine.name)).isdisjoint(killed)
