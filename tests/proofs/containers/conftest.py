"""Fixtures for the container proofs: containers that are always removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import docker
import pytest
from docker.models.containers import Container

from ..base_image import BaseImage
from .container_helpers import LONG_SLEEP, remove_quietly


@pytest.fixture
def containers(
    docker_client: docker.DockerClient, busybox: str
) -> Iterator[Callable[..., Container]]:
    """`containers(command, start=True, **sdk_kwargs)` creates (and starts) a busybox container;
    every container made this way is removed when the test ends, even when it fails."""
    made: list[Container] = []

    def make(command: str | list[str] = LONG_SLEEP, *, start: bool = True, **kwargs) -> Container:
        container = docker_client.containers.create(busybox, command, **kwargs)
        made.append(container)
        if start:
            container.start()
            container.reload()
        return container

    yield make
    for container in reversed(made):
        remove_quietly(container)


@pytest.fixture(scope="module")
def shared_box(docker_client: docker.DockerClient, busybox_image: BaseImage) -> Iterator[Container]:
    """One default container that the read-only checks of a module share."""
    box = docker_client.containers.run(busybox_image.local_ref, LONG_SLEEP, detach=True)
    try:
        yield box
    finally:
        remove_quietly(box)
