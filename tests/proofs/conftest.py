"""Fixtures shared by the guide's proofs: the base image's stand-in and what snippets need.

Ryuk is off: its image can't be pulled without a registry; the verifier cleans up instead.
"""

from __future__ import annotations

import os

os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"  # before testcontainers is imported

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from testcontainers.core.config import testcontainers_config

from verified_docs.document import SNIPPETS, Guide, Snippet
from verified_docs.plugin import BASE_IMAGE, require_engine
from verified_docs.runner import one_at_a_time

from .base_image import BaseImage, provision_busybox
from .registry import Registry, running_registry

testcontainers_config.ryuk_disabled = True

READERS_REGISTRY = "127.0.0.1:5000"  # the registry address snippets show


def pytest_configure(config: pytest.Config) -> None:
    require_engine(config)


@pytest.fixture(scope="session")
def busybox_image(
    docker_client: docker.DockerClient, guide: Guide, engine: dict[str, str]
) -> BaseImage:
    dockerfile = guide.root / SNIPPETS / "base-image" / "Dockerfile"
    # One build at a time per engine: parallel runs unpacking the same layer on the containerd
    # store can fail ("failed to extract layer ... no such file or directory").
    with one_at_a_time(f"{engine['name']}:base-image"):
        return provision_busybox(docker_client, dockerfile)


@pytest.fixture
def busybox(busybox_image: BaseImage, request: pytest.FixtureRequest) -> str:
    """The local image that stands for `busybox:1.35` in snippets."""
    request.node.user_properties.append((BASE_IMAGE, busybox_image.provenance()))
    return busybox_image.local_ref


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    """A private registry on 127.0.0.1:<free port>, for this run only."""
    with running_registry() as started:
        yield started


@pytest.fixture
def substitutions(
    busybox_image: BaseImage, busybox: str, request: pytest.FixtureRequest, guide: Guide
) -> Callable[[Snippet], dict[str, str]]:
    """What a snippet's reader sees -> what this run uses: the base image's stand-in, and this
    run's registry where the snippet's folder talks to `127.0.0.1:5000`."""

    def for_snippet(snippet: Snippet) -> dict[str, str]:
        mapping = {busybox_image.reader_ref: busybox}
        folder = guide.root / snippet.folder
        if any(READERS_REGISTRY in p.read_text("utf-8", "replace") for p in folder.iterdir()):
            registry: Registry = request.getfixturevalue("registry")
            mapping[READERS_REGISTRY] = registry.address
        return mapping

    return for_snippet


@pytest.fixture
def snippet_dir(guide: Guide, engine: dict[str, str]) -> Iterator[Callable[[str], Path]]:
    """A snippet folder, e.g. `snippet_dir("images/rebuild")`. Until the test ends, the snippets
    of that folder wait for it on this engine: identical builds share layers and cache, and one
    run's clean-up would pull them from under the other."""
    with contextlib.ExitStack() as held:
        taken: set[Path] = set()

        def folder(relative: str) -> Path:
            path = guide.root / SNIPPETS / relative
            if path not in taken:
                held.enter_context(one_at_a_time(f"{engine['name']}:{path}"))
                taken.add(path)
            return path

        yield folder
