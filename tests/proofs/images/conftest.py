"""Fixtures for the image proofs: throwaway images built from small Dockerfiles, a private
registry on loopback, a BuildKit build for the claims where the builders differ, and what the
containerd image store says of an image's manifests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.errors import APIError, NotFound
from docker.models.images import Image

BUILD_SECONDS = 120


def remove_image(client: docker.DockerClient, reference: str) -> None:
    """Remove an image and every tag on it; fine if it is already gone."""
    with contextlib.suppress(NotFound):
        client.images.remove(reference, force=True)


def write_context(
    directory: Path, dockerfile: str, base: str, files: dict[str, bytes] | None = None
) -> Path:
    """A build context: the Dockerfile (`busybox:1.35` -> the run's base) and extra files."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile.replace("busybox:1.35", base))
    for filename, data in (files or {}).items():
        (directory / filename).write_bytes(data)
    return directory


class Builder:
    """Builds with the classic builder (docker-py) under unique tags; removes it all at the end."""

    def __init__(self, client: docker.DockerClient, base: str) -> None:
        self.client = client
        self.base = base
        self.built: list[str] = []

    def __call__(
        self,
        dockerfile: str | None = None,
        *,
        context: Path | None = None,
        files: dict[str, bytes] | None = None,
        name: str = "images-test",
        buildargs: dict[str, str] | None = None,
    ) -> Image:
        """Build `dockerfile` text in a fresh context, or the prepared `context` directory."""
        tag = f"{name}-{uuid.uuid4().hex[:8]}:latest"
        with tempfile.TemporaryDirectory(prefix="context-") as scratch:
            if context is None:
                context = write_context(Path(scratch), dockerfile or "", self.base, files)
            image, _ = self.client.images.build(
                path=str(context), tag=tag, rm=True, buildargs=buildargs
            )
        self.built.append(image.id)
        return image

    def built_last_first(self) -> list[str]:
        """Each image once, children before parents: an image built again (a cached rebuild
        gives the same ID) goes where it was first built."""
        return list(reversed(dict.fromkeys(self.built)))

    def clean_up(self) -> None:
        for image_id in self.built_last_first():
            remove_image(self.client, image_id)


@pytest.fixture(scope="module")
def build(docker_client: docker.DockerClient, busybox_image) -> Iterator[Builder]:
    """`build(dockerfile_text)` -> docker-py Image; everything built is removed after the module."""
    builder = Builder(docker_client, busybox_image.local_ref)
    try:
        yield builder
    finally:
        builder.clean_up()


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


class BuildKitFailed(Exception):
    def __init__(self, status: int, log: str) -> None:
        super().__init__(f"BuildKit build failed ({status}):\n{log}")
        self.log = log


class BuildKit(Builder):
    """Builds with BuildKit through the docker CLI; the same bookkeeping as Builder."""

    def __init__(self, client: docker.DockerClient, base: str, command: list[str]) -> None:
        super().__init__(client, base)
        self.command = command

    def __call__(  # type: ignore[override]
        self,
        dockerfile: str | None = None,
        *,
        context: Path | None = None,
        files: dict[str, bytes] | None = None,
        env: dict[str, str] | None = None,
    ) -> tuple[Image, str]:
        """Build with BuildKit; return the image and the build's plain progress output. `env`
        adds environment variables for the CLI (e.g. BUILDX_NO_DEFAULT_ATTESTATIONS)."""
        tag = f"buildkit-{uuid.uuid4().hex[:8]}:latest"
        environment = {
            **os.environ,
            "DOCKER_BUILDKIT": "1",
            "BUILDKIT_PROGRESS": "plain",
            **(env or {}),
        }
        with tempfile.TemporaryDirectory(prefix="context-") as scratch:
            if context is None:
                context = write_context(Path(scratch), dockerfile or "", self.base, files)
            done = subprocess.run(
                [*self.command, "--progress=plain", "--tag", tag, str(context)],
                capture_output=True,
                text=True,
                env=environment,
                timeout=BUILD_SECONDS,
                check=False,
            )
        log = done.stdout + done.stderr
        if done.returncode != 0:
            raise BuildKitFailed(done.returncode, log)
        image = self.client.images.get(tag)
        self.built.append(image.id)
        return image, log

    def clean_up(self) -> None:
        for image_id in self.built_last_first():
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


@pytest.fixture
def make_context(busybox_image) -> Callable[..., Path]:
    """`make_context(directory, dockerfile_text, files)` with the run's base image."""

    def make(directory: Path, dockerfile: str, files: dict[str, bytes] | None = None) -> Path:
        return write_context(directory, dockerfile, busybox_image.local_ref, files)

    return make


@pytest.fixture(scope="module")
def base(docker_client: docker.DockerClient, busybox_image) -> Image:
    """The run's busybox stand-in, as a docker-py Image (to compare layers and history with)."""
    return docker_client.images.get(busybox_image.local_ref)


def image_manifests(client: docker.DockerClient, reference: str) -> list[dict[str, Any]]:
    """The containerd image store's view of an image's manifests (API 1.48+, `manifests=1`):
    one entry per manifest of its index, with its kind (`image`, `attestation`) and sizes."""
    api = client.api
    response = api._get(api._url("/images/{0}/json", reference), params={"manifests": 1})
    return list(api._result(response, json=True).get("Manifests") or [])
