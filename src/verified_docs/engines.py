"""The engine under test: connect to it, describe it, and remove everything a run made there.

Everything a run creates carries the run's labels. Containers and images inherit them from the
run's base image, so a container started by a snippet, the CLI or the SDK is found without the
snippet mentioning labels; volumes and networks are labelled where they are created (the
`docker` shim labels those made by the CLI). A killed run leaves its resources behind; the next
run removes them once it sees that the owning process is gone.
"""

from __future__ import annotations

import os
import platform
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound

START_HINT = "start the matrix with `sudo bash scripts/engines.sh up` (Debian) or start Docker"
PROJECT = "verified-docs"  # the one name for labels, environment variables and image names
RUN_LABEL = f"io.github.{PROJECT}.run"
OWNER_LABEL = f"io.github.{PROJECT}.owner"

# One ID per run, shared by its xdist workers; VERIFIED_DOCS_RUN_ID lets a supervisor choose it.
RUN_ID = os.environ.get("VERIFIED_DOCS_RUN_ID") or uuid.uuid4().hex[:10]
# One owner per process: what clean-up removes, and how a killed run is recognised.
OWNER = f"{socket.gethostname()}:{os.getpid()}"
LABELS = {RUN_LABEL: RUN_ID, OWNER_LABEL: OWNER}


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
    driver_status = dict(info.get("DriverStatus") or [])
    store = "containerd" if "snapshotter" in driver_status.get("driver-type", "") else "classic"
    facts = {
        "version": version["Version"],
        "api_version": version["ApiVersion"],
        "os_arch": f"{version['Os']}/{version['Arch']}",
        "operating_system": info["OperatingSystem"],
        "kernel": info["KernelVersion"],
        "storage_driver": info["Driver"],
        "image_store": store,
        "cgroup": str(info.get("CgroupVersion", "1")),
        "client_python": platform.python_version(),
    }
    role = (
        {"role": os.environ["VERIFIED_DOCS_ENGINE_ROLE"]}
        if "VERIFIED_DOCS_ENGINE_ROLE" in os.environ
        else {}
    )
    return {"name": engine_name(facts), **facts, **role}


def engine_name(facts: dict[str, str]) -> str:
    """What the report calls the engine: VERIFIED_DOCS_ENGINE, else e.g. `28.5-containerd`."""
    if named := os.environ.get("VERIFIED_DOCS_ENGINE"):
        return named
    major_minor = ".".join(facts["version"].split(".")[:2])
    return major_minor + ("-containerd" if facts["image_store"] == "containerd" else "")


def _owner_is_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's run: not ours to judge
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[-1][:1] in {"Z", "X"}
    except FileNotFoundError:
        return True


def ignoring_gone(remove: Callable[..., object], *args: Any, **kwargs: Any) -> int:
    """1 if removed, 0 if something else (another run, a dying container) removed it first."""
    try:
        remove(*args, **kwargs)
    except NotFound:
        return 0
    return 1


def remove_labelled(client: docker.DockerClient, label_filter: str) -> dict[str, int]:
    """Remove containers, networks, volumes and images carrying the label, children first.

    Uses the low-level API, which lists without inspecting each object, so objects that other
    runs remove meanwhile don't make it fail."""
    api = client.api
    filters = {"label": label_filter}
    return {
        "containers": sum(
            ignoring_gone(api.remove_container, c["Id"], v=True, force=True)
            for c in api.containers(all=True, filters=filters)
        ),
        "networks": sum(
            ignoring_gone(api.remove_network, n["Id"]) for n in api.networks(filters=filters)
        ),
        "volumes": sum(
            ignoring_gone(api.remove_volume, v["Name"], force=True)
            for v in api.volumes(filters=filters).get("Volumes") or []
        ),
        "images": remove_images(
            client, [i["Id"] for i in list_images(client, all=True, filters=filters)]
        ),
    }


def list_images(
    client: docker.DockerClient, attempts: int = 5, **filters: Any
) -> list[dict[str, Any]]:
    """The engine's images. On the containerd image store, listing while another run deletes
    images can answer 404 for content that just went: ask again (a bounded number of times)."""
    for attempt in range(attempts):
        try:
            return list(client.api.images(**filters))
        except NotFound:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return []


def remove_images(client: docker.DockerClient, image_ids: list[str]) -> int:
    """Remove images; one with children can't go before them, so retry until no progress."""
    removed = 0
    pending = image_ids
    while pending:
        left, why = [], ""
        for image_id in pending:
            try:
                removed += ignoring_gone(
                    client.api.remove_image, image_id, force=True, noprune=False
                )
            except APIError as error:
                left.append(image_id)
                why = str(error.explanation or error)
        if len(left) == len(pending):
            raise RuntimeError(f"could not remove images {left}: {why}")
        pending = left
    return removed


def reap_run(client: docker.DockerClient) -> dict[str, int]:
    """Remove everything this process created (xdist workers of one run reap their own)."""
    return remove_labelled(client, f"{OWNER_LABEL}={OWNER}")


def sweep_abandoned(client: docker.DockerClient) -> dict[str, int]:
    """Remove what earlier runs on this host left behind when they were killed."""
    api = client.api
    labelled = {"label": RUN_LABEL}
    found = [
        *api.containers(all=True, filters=labelled),
        *list_images(client, all=True, filters=labelled),
        *api.networks(filters=labelled),
        *(api.volumes(filters=labelled).get("Volumes") or []),
    ]
    owners = {(item.get("Labels") or {}).get(OWNER_LABEL, "") for item in found}
    totals: dict[str, int] = {}
    for owner in owners - {OWNER, ""}:
        if _owner_is_gone(owner):
            for kind, count in remove_labelled(client, f"{OWNER_LABEL}={owner}").items():
                totals[kind] = totals.get(kind, 0) + count
    return totals
