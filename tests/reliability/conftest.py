"""Helpers for tests that run the suite itself in a child pytest, and the base image."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from tests.proofs.base_image import BaseImage, provision_busybox
from verified_docs.document import SNIPPETS, Guide
from verified_docs.engines import RUN_LABEL
from verified_docs.plugin import require_engine

SCENARIOS = Path(__file__).with_name("scenarios")
CHILD_TIMEOUT = 240


def pytest_configure(config: pytest.Config) -> None:
    require_engine(config)


@dataclass
class ChildRun:
    run_id: str
    returncode: int
    output: str


def child_env(run_id: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(VERIFIED_DOCS_RUN_ID=run_id, **extra)
    return env


def child_command(*selection: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "python_files=scenario_*.py",
        *selection,
    ]


@pytest.fixture(scope="session")
def busybox(docker_client: docker.DockerClient, guide: Guide) -> str:
    """The base image's stand-in, for the scenarios."""
    image: BaseImage = provision_busybox(
        docker_client, guide.root / SNIPPETS / "base-image" / "Dockerfile"
    )
    return image.local_ref


@pytest.fixture
def run_child(guide: Guide):
    """Run scenarios in a child pytest with its own run ID; return what happened."""

    def run(*selection: str, **env: str) -> ChildRun:
        run_id = "child" + uuid.uuid4().hex[:8]
        done = subprocess.run(
            child_command(*(str(SCENARIOS / s) for s in selection)),
            cwd=guide.root,
            env=child_env(run_id, **env),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
        return ChildRun(run_id, done.returncode, done.stdout + done.stderr)

    return run


def leftovers(client, run_id: str) -> dict[str, list[str]]:
    label = {"label": f"{RUN_LABEL}={run_id}"}
    return {
        kind: names
        for kind, names in {
            "containers": [c.name for c in client.containers.list(all=True, filters=label)],
            "images": [i.id for i in client.images.list(all=True, filters=label)],
            "volumes": [v.name for v in client.volumes.list(filters=label)],
            "networks": [n.name for n in client.networks.list(filters=label)],
        }.items()
        if names
    }
