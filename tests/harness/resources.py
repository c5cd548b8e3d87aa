"""Everything a run creates carries the run's labels, so it can be removed afterwards.

Containers and images inherit labels from the run's base image, so a container started by a
snippet, by the CLI or by the SDK is found without the snippet mentioning labels. Volumes and
networks are labelled where they are created (the `docker` shim labels those made by the CLI).
A run that was killed leaves its resources behind; the next run removes them once it sees that
the owning process is gone.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable

import docker
from docker.errors import APIError, NotFound
from docker.models.images import Image

RUN_LABEL = "io.github.images-vs-containers.run"
OWNER_LABEL = "io.github.images-vs-containers.owner"

# One ID per run, shared by its xdist workers; IVC_RUN_ID lets a supervising test choose it.
RUN_ID = os.environ.get("IVC_RUN_ID") or uuid.uuid4().hex[:10]
# One owner per process: what clean-up removes, and how a killed run is recognised.
OWNER = f"{socket.gethostname()}:{os.getpid()}"
LABELS = {RUN_LABEL: RUN_ID, OWNER_LABEL: OWNER}


def _owner_is_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's run: not ours to judge
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[-1][:1] in {"Z", "X"}
    except FileNotFoundError:
        return True


def _remove_all(resources: Iterable[object], remove: str, **kwargs: object) -> int:
    removed = 0
    for resource in resources:
        try:
            getattr(resource, remove)(**kwargs)
            removed += 1
        except NotFound:
            pass
    return removed


def remove_labelled(client: docker.DockerClient, label_filter: str) -> dict[str, int]:
    """Remove containers, networks, volumes and images carrying the label, children first."""
    filters = {"label": label_filter}
    counts = {
        "containers": _remove_all(
            client.containers.list(all=True, filters=filters), "remove", force=True, v=True
        ),
        "networks": _remove_all(client.networks.list(filters=filters), "remove"),
        "volumes": _remove_all(client.volumes.list(filters=filters), "remove", force=True),
        "images": 0,
    }
    counts["images"] = remove_images(client, client.images.list(all=True, filters=filters))
    return counts


def remove_images(client: docker.DockerClient, images: list[Image]) -> int:
    """Remove images; one with children can't go before them, so retry until no progress."""
    removed = 0
    pending = images
    while pending:
        left = []
        for image in pending:
            try:
                client.images.remove(image.id, force=True, noprune=False)
                removed += 1
            except NotFound:
                pass
            except APIError:
                left.append(image)
        if len(left) == len(pending):
            raise RuntimeError(f"could not remove images {[i.id for i in left]}")
        pending = left
    return removed


def reap_run(client: docker.DockerClient) -> dict[str, int]:
    """Remove everything this process created (xdist workers of one run reap their own)."""
    return remove_labelled(client, f"{OWNER_LABEL}={OWNER}")


def sweep_abandoned(client: docker.DockerClient) -> dict[str, int]:
    """Remove what earlier runs on this host left behind when they were killed."""
    owners: set[str] = set()
    for kind in (client.containers.list(all=True), client.images.list(all=True)):
        for resource in kind:
            labels = resource.labels or {}
            if RUN_LABEL in labels:
                owners.add(labels.get(OWNER_LABEL, ""))
    for collection in (client.volumes.list(), client.networks.list()):
        for resource in collection:
            labels = resource.attrs.get("Labels") or {}
            if RUN_LABEL in labels:
                owners.add(labels.get(OWNER_LABEL, ""))
    totals: dict[str, int] = {}
    for owner in owners - {OWNER}:
        if owner and _owner_is_gone(owner):
            for kind, count in remove_labelled(client, f"{OWNER_LABEL}={owner}").items():
                totals[kind] = totals.get(kind, 0) + count
    return totals
