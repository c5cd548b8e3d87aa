"""Fixtures shared by the proofs. Ryuk is off: its image can't be pulled without a registry."""

from __future__ import annotations

import os

os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"  # before testcontainers is imported

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import docker
import pytest
from harness.claims_plugin import BASE_IMAGE, OVERHEAD
from harness.console import replay_plain, run_console
from harness.engine import EngineUnavailable, connect
from harness.images import BaseImage, provision_busybox
from harness.paths import SNIPPETS
from harness.resources import reap_run, sweep_abandoned
from testcontainers.core.config import testcontainers_config

testcontainers_config.ryuk_disabled = True


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The engine, cleaned of what killed runs left; everything this run made goes at the end."""
    try:
        client = connect()
    except EngineUnavailable as error:
        pytest.exit(str(error), returncode=3)
    sweep_abandoned(client)
    try:
        yield client
    finally:
        reap_run(client)
        client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: docker.DockerClient) -> BaseImage:
    return provision_busybox(docker_client)


@pytest.fixture
def busybox(busybox_image: BaseImage, request: pytest.FixtureRequest) -> str:
    """The local image that stands for `busybox:1.35` in snippets."""
    request.node.user_properties.append((BASE_IMAGE, busybox_image.provenance()))
    return busybox_image.local_ref


@pytest.fixture
def console(
    docker_client: docker.DockerClient,
    busybox_image: BaseImage,
    busybox: str,
    request: pytest.FixtureRequest,
    evidence: Callable[[str, str], None],
) -> Callable[..., str]:
    """Run a transcript from snippets/ against the engine; return its normalised output."""
    update = bool(request.config.getoption("--update-transcripts"))

    def run(snippet: str, substitutions: Mapping[str, str] | None = None) -> str:
        """`substitutions` maps what the reader sees to what this run uses, e.g. a port."""
        path = SNIPPETS / snippet
        mapping = {busybox_image.reader_ref: busybox, **(substitutions or {})}
        result = run_console(path, docker_client, mapping, update=update)
        evidence(f"snippets/{snippet}", result.evidence)
        if os.environ.get("IVC_MEASURE_OVERHEAD"):  # nox -s bench
            plain = replay_plain(result, docker_client)
            request.node.user_properties.append(
                (OVERHEAD, {"snippet": snippet, "harness": result.seconds, "plain": plain})
            )
        return result.evidence

    return run


@pytest.fixture
def snippet_dir() -> Callable[[str], Path]:
    return lambda relative: SNIPPETS / relative
