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
from collections.abc import Callable

import docker
from docker.errors import APIError, NotFound

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


def ignoring_gone(remove: Callable[[], object]) -> int:
    """1 if removed, 0 if something else (another run, a dying container) removed it first."""
    try:
        remove()
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
            ignoring_gone(lambda c=c: api.remove_container(c["Id"], v=True, force=True))
            for c in api.containers(all=True, filters=filters)
        ),
        "networks": sum(
            ignoring_gone(lambda n=n: api.remove_network(n["Id"]))
            for n in api.networks(filters=filters)
        ),
        "volumes": sum(
            ignoring_gone(lambda v=v: api.remove_volume(v["Name"], force=True))
            for v in api.volumes(filters=filters).get("Volumes") or []
        ),
        "images": remove_images(client, [i["Id"] for i in api.images(all=True, filters=filters)]),
    }


def remove_images(client: docker.DockerClient, image_ids: list[str]) -> int:
    """Remove images; one with children can't go before them, so retry until no progress."""
    removed = 0
    pending = image_ids
    while pending:
        left = []
        for image_id in pending:
            try:
                removed += ignoring_gone(
                    lambda i=image_id: client.api.remove_image(i, force=True, noprune=False)
                )
            except APIError:
                left.append(image_id)
        if len(left) == len(pending):
            raise RuntimeError(f"could not remove images {left}")
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
        *api.images(all=True, filters=labelled),
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
