"""Connect to the Docker engine, or stop the run with one actionable line."""

from __future__ import annotations

import os
import platform

import docker
from docker.errors import DockerException

START_HINT = "start one with `sudo bash scripts/docker-engine.sh` (Debian) or start Docker Desktop"


class EngineUnavailable(RuntimeError):
    pass


def connect(timeout: int = 120) -> docker.DockerClient:
    """A client for the engine that DOCKER_HOST (or the default socket) points at."""
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except DockerException as error:
        where = os.environ.get("DOCKER_HOST", "the default Docker socket")
        reason = str(error).splitlines()[0][:200]
        raise EngineUnavailable(
            f"No Docker engine answers at {where} ({reason}): {START_HINT}."
        ) from error
    return client


def describe(client: docker.DockerClient) -> dict[str, str]:
    """The facts about the engine that the report and the pages show."""
    version = client.version()
    info = client.info()
    return {
        "version": version["Version"],
        "api_version": version["ApiVersion"],
        "os_arch": f"{version['Os']}/{version['Arch']}",
        "operating_system": info["OperatingSystem"],
        "kernel": info["KernelVersion"],
        "storage_driver": info["Driver"],
        "cgroup": str(info.get("CgroupVersion", "1")),
        "client_python": platform.python_version(),
    }
