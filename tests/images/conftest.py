"""Fixtures for the image proofs: throwaway images built from small Dockerfiles, a private
registry on loopback, and a BuildKit build for the claims where the builders differ."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import APIError, NotFound
from docker.models.images import Image
from harness.registry import Registry, running_registry

BUILD_SECONDS = 120


def remove_image(client: docker.DockerClient, reference: str) -> None:
    """Remove an image and every tag on it; fine if it is already gone."""
    with contextlib.suppress(NotFound):
        client.images.remove(reference, force=True)


class Builder:
    """Builds images from Dockerfile text with unique tags; removes them all at the end."""

    def __init__(self, client: docker.DockerClient, base: str) -> None:
        self.client = client
        self.base = base
        self.built: list[str] = []

    def tag(self, name: str) -> str:
        return f"{name}-{uuid.uuid4().hex[:8]}:latest"

    def __call__(
        self, dockerfile: str, name: str = "images-test", files: dict[str, bytes] | None = None
    ) -> Image:
        """Build `dockerfile` (`busybox:1.35` stands for the run's base) in a fresh context."""
        tag = self.tag(name)
        with tempfile.TemporaryDirectory(prefix="context-") as context:
            Path(context, "Dockerfile").write_text(dockerfile.replace("busybox:1.35", self.base))
            for filename, data in (files or {}).items():
                Path(context, filename).write_bytes(data)
            image, _ = self.client.images.build(path=context, tag=tag, rm=True)
        self.built.append(image.id)
        return image

    def clean_up(self) -> None:
        for image_id in reversed(self.built):  # children before parents
            remove_image(self.client, image_id)


@pytest.fixture(scope="module")
def build(docker_client: docker.DockerClient, busybox_image) -> Iterator[Builder]:
    """`build(dockerfile_text)` -> docker-py Image; everything built is removed after the module."""
    builder = Builder(docker_client, busybox_image.local_ref)
    try:
        yield builder
    finally:
        builder.clean_up()


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    """A private registry on 127.0.0.1:<free port>, for this run only."""
    with running_registry() as started:
        yield started


@pytest.fixture
def registry_console(console, registry: Registry) -> Callable[[str], str]:
    """Run a transcript in which the reader's `127.0.0.1:5000` is this run's registry."""
    return lambda snippet: console(snippet, substitutions={"127.0.0.1:5000": registry.address})


# -- BuildKit -------------------------------------------------------------------------------
# docker-py and the classic builder can't show what BuildKit does differently. A CLI that can
# build with BuildKit against this engine is found on the machine: `docker buildx`, or a CLI
# from before 23.0 (which has BuildKit built in, like Debian's docker.io 20.10 /usr/bin/docker).


def _buildkit_command() -> list[str] | None:
    candidates = [shutil.which("docker"), "/usr/bin/docker", "/usr/local/bin/docker"]
    for cli in dict.fromkeys(c for c in candidates if c and Path(c).is_file()):
        probe = subprocess.run(
            [cli, "buildx", "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [cli, "buildx", "build", "--load"]
        version = subprocess.run(
            [cli, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        major = version.split(".", 1)[0]
        if major.isdigit() and int(major) < 23:
            return [cli, "build"]
    return None


class BuildKit:
    def __init__(self, client: docker.DockerClient, base: str, command: list[str]) -> None:
        self.client = client
        self.base = base
        self.command = command
        self.built: list[str] = []

    def __call__(self, dockerfile: str, *extra: str) -> tuple[Image, str]:
        """Build with BuildKit; return the image and the build's plain progress output."""
        tag = f"buildkit-{uuid.uuid4().hex[:8]}:latest"
        with tempfile.TemporaryDirectory(prefix="context-") as context:
            Path(context, "Dockerfile").write_text(dockerfile.replace("busybox:1.35", self.base))
            env = {**os.environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain"}
            done = subprocess.run(
                [*self.command, "--progress=plain", "--tag", tag, *extra, context],
                capture_output=True,
                text=True,
                env=env,
                timeout=BUILD_SECONDS,
                check=False,
            )
        if done.returncode != 0:
            raise AssertionError(f"BuildKit build failed ({done.returncode}):\n{done.stderr}")
        image = self.client.images.get(tag)
        self.built.append(image.id)
        return image, done.stdout + done.stderr

    def clean_up(self) -> None:
        for image_id in reversed(self.built):
            with contextlib.suppress(APIError):
                remove_image(self.client, image_id)


@pytest.fixture(scope="module")
def buildkit(docker_client: docker.DockerClient, busybox_image) -> Iterator[BuildKit]:
    command = _buildkit_command()
    if command is None:
        raise RuntimeError(
            "no BuildKit-capable docker CLI found: install docker-buildx, or use a docker CLI "
            "before 23.0 (Debian 12's docker.io provides /usr/bin/docker 20.10)"
        )
    builder = BuildKit(docker_client, busybox_image.local_ref, command)
    try:
        yield builder
    finally:
        builder.clean_up()
