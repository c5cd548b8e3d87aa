"""Proofs for docs/containers/writable-layer.md."""

import contextlib
import re
import time
import uuid
from pathlib import PurePosixPath

import docker
import pytest
from docker.models.containers import Container
from docker.types import Mount
from testcontainers.core.container import DockerContainer

from verified_docs.engines import LABELS

WRITE_NOTE = ["sh", "-c", "echo hello > /note.txt"]
HAS_NOTE = ["test", "-e", "/note.txt"]


def sleeper(image: str) -> DockerContainer:
    return DockerContainer(image).with_command("sleep 300")


@pytest.mark.claim("changes-invisible-to-other-containers")
def test_a_file_written_in_one_container_is_absent_from_another(busybox):
    with sleeper(busybox) as before, sleeper(busybox) as writer:
        assert writer.exec(WRITE_NOTE).exit_code == 0
        assert writer.exec(HAS_NOTE).exit_code == 0
        # Neither a container that was already running nor one created after the write sees
        # it: each starts from the image, not from another container.
        assert before.exec(HAS_NOTE).exit_code == 1
        with sleeper(busybox) as after:
            assert after.exec(HAS_NOTE).exit_code == 1


def writable_layer(box: Container) -> PurePosixPath:
    """The directory on the engine's host that holds the container's writable layer: the
    upper directory of its root's overlay mount (classic store: overlay2/<id>/diff; containerd
    store: snapshots/<n>/fs)."""
    code, mountinfo = box.exec_run(["cat", "/proc/self/mountinfo"])
    assert code == 0
    root = next(line for line in mountinfo.decode().splitlines() if line.split()[4] == "/")
    found = re.search(r"upperdir=([^,\s]+)", root)
    assert found, root
    return PurePosixPath(found[1])


def in_engine_store(client: docker.DockerClient, image: str, layer: PurePosixPath) -> str:
    """What the engine's host holds at the layer's directory, seen through a container that
    mounts the store read-only (only the store itself: none of the mounts below it)."""
    store = Mount("/store", str(layer.parents[1]), type="bind", read_only=True)
    store["BindOptions"] = {"NonRecursive": True}
    where = f"/store/{layer.parent.name}/{layer.name}"
    script = f"test -d {where} || echo no layer; cat {where}/note.txt 2>/dev/null || true"
    return client.containers.run(image, ["sh", "-c", script], mounts=[store], remove=True).decode()


@pytest.mark.claim("writable-layer-survives-stop-start")
def test_changes_survive_stop_and_start(docker_client, busybox):
    box = docker_client.containers.run(busybox, "sleep 300", detach=True, init=True)
    try:
        assert box.exec_run(WRITE_NOTE).exit_code == 0
        layer = writable_layer(box)
        box.stop(timeout=5)
        box.reload()
        assert box.status == "exited"
        assert docker_client.containers.list(all=True, filters={"id": box.id}) == [box]
        box.start()
        assert box.exec_run(HAS_NOTE).exit_code == 0
        assert {"Kind": 1, "Path": "/note.txt"} in (box.diff() or [])
        assert writable_layer(box) == layer  # the same layer, not a new one
    finally:
        box.remove(force=True)


@pytest.mark.claim("writable-layer-removed-with-container")
def test_rm_deletes_the_container_with_its_writable_layer(docker_client, busybox):
    box = docker_client.containers.run(busybox, "sleep 300", detach=True, init=True)
    try:
        assert box.exec_run(WRITE_NOTE).exit_code == 0
        layer = writable_layer(box)
        box.stop(timeout=5)
        # Stopped, the container still has its files, and the host its layer.
        assert in_engine_store(docker_client, busybox, layer) == "hello\n"
        assert b"".join(box.get_archive("/note.txt")[0])
        box.remove(force=True)  # docker rm -f: the container and its writable layer
        # Its layer's directory is gone from the host, its files are unreachable, and
        # docker ps --all no longer lists it.
        assert in_engine_store(docker_client, busybox, layer) == "no layer\n"
        with pytest.raises(docker.errors.NotFound):
            box.get_archive("/note.txt")
        assert docker_client.containers.list(all=True, filters={"id": box.id}) == []
        # A new container given the same name starts from the image again.
        fresh = docker_client.containers.run(busybox, "sleep 300", detach=True, name=box.name)
        try:
            assert fresh.exec_run(HAS_NOTE).exit_code == 1
        finally:
            fresh.remove(force=True)
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            box.remove(force=True)


@pytest.mark.claim("rm-force-kills-with-sigkill")
def test_rm_refuses_a_running_container_and_force_kills_it_with_sigkill(docker_client, busybox):
    # `sleep` as PID 1 has no SIGTERM handler, so the kernel drops a SIGTERM sent to it: a
    # removal that sent SIGTERM first would wait out a grace period (10 s by default).
    box = docker_client.containers.run(busybox, "sleep 300", detach=True)
    try:
        with pytest.raises(docker.errors.APIError) as refused:
            box.remove()
        assert refused.value.status_code == 409
        box.reload()
        assert box.status == "running"
        since = int(time.time()) - 1
        started = time.monotonic()
        box.remove(force=True)
        assert time.monotonic() - started < 5
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            box.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(box.id)
    # The engine's own record: the signals it sent and how the process ended.
    events = docker_client.events(
        since=since,
        until=int(time.time()) + 2,
        filters={"container": box.id, "event": ["kill", "die"]},
        decode=True,
    )
    seen = [(e["Action"], e["Actor"]["Attributes"]) for e in events]
    assert [attributes["signal"] for action, attributes in seen if action == "kill"] == ["9"]
    assert [attributes["exitCode"] for action, attributes in seen if action == "die"] == ["137"]


@pytest.mark.claim("container-activity-never-changes-image")
def test_writes_and_deletions_in_a_container_leave_the_image_alone(docker_client, busybox):
    # A tag of this test's own names the image: a change to the image would move it.
    tag = f"untouched-{uuid.uuid4().hex[:8]}:1"
    docker_client.images.get(busybox).tag(tag)
    try:

        def image_now() -> tuple[str, list[str], int]:
            image = docker_client.images.get(tag)
            return image.id, image.attrs["RootFS"]["Layers"], image.attrs["Size"]

        before = image_now()
        with sleeper(tag) as box:
            script = "rm /bin/ls && echo x > /tmp/f && echo y >> /bin/busybox.note"
            assert box.exec(["sh", "-c", script]).exit_code == 0
            assert image_now() == before
        assert image_now() == before
        with sleeper(tag) as fresh:
            assert fresh.exec(["test", "-e", "/bin/ls"]).exit_code == 0
            assert fresh.exec(["test", "-e", "/tmp/f"]).exit_code == 1
    finally:
        docker_client.images.remove(tag)  # the tag only: the image is the base image


PRECISE = "changes-last-as-long-as-the-container"


@pytest.fixture
def volume(docker_client):
    created = docker_client.volumes.create(f"notes-{uuid.uuid4().hex[:8]}", labels=LABELS)
    yield created
    for container in docker_client.containers.list(all=True, filters={"volume": created.name}):
        container.remove(force=True)
    created.remove(force=True)


@pytest.mark.claim(PRECISE, "named-volume-outlives-container")
def test_a_named_volume_outlives_the_container_even_with_rm_v(docker_client, busybox, volume):
    mount = {volume.name: {"bind": "/data", "mode": "rw"}}
    writer = docker_client.containers.run(
        busybox, ["sh", "-c", "echo kept > /data/note"], volumes=mount, detach=True
    )
    assert writer.wait(timeout=30)["StatusCode"] == 0
    writer.remove(v=True)  # -v removes anonymous volumes only
    assert docker_client.volumes.get(volume.name).name == volume.name
    out = docker_client.containers.run(busybox, "cat /data/note", volumes=mount, remove=True)
    assert out == b"kept\n"


def run_to_completion(client, image, script):
    """Run a script in a new container; return its output. The container and any anonymous
    volume it got are removed (`run(remove=True)` would leave the volumes behind)."""
    container = client.containers.create(image, ["sh", "-c", script])
    try:
        container.start()
        assert container.wait(timeout=30)["StatusCode"] == 0
        container.reload()
        return container.logs(), container.attrs["Mounts"]
    finally:
        container.remove(force=True, v=True)


@pytest.mark.claim(
    PRECISE, "commit-captures-writable-layer-and-config", "commit-excludes-volume-data"
)
def test_commit_keeps_the_layer_and_config_but_not_the_volume(docker_client, busybox, volume):
    base = docker_client.images.get(busybox)
    box = docker_client.containers.run(
        busybox,
        "sleep 300",
        detach=True,
        environment={"GREETING": "hello"},
        mounts=[Mount(target="/data", source=volume.name)],
    )
    name = f"snapshot-{uuid.uuid4().hex[:8]}"
    try:
        code, _ = box.exec_run(["sh", "-c", "echo l > /layer.txt && echo v > /data/volume.txt"])
        assert code == 0
        snapshot = box.commit(repository=name)
        config = snapshot.attrs["Config"]
        assert config["Cmd"] == ["sleep", "300"]  # the run's command is the image's default now
        assert "GREETING=hello" in config["Env"]
        assert not config.get("Volumes")
        assert len(snapshot.attrs["RootFS"]["Layers"]) == len(base.attrs["RootFS"]["Layers"]) + 1
        assert snapshot.attrs["RootFS"]["Layers"][:-1] == base.attrs["RootFS"]["Layers"]
        script = "cat /layer.txt; test -e /data/volume.txt; echo $?"
        assert run_to_completion(docker_client, snapshot.id, script) == (b"l\n1\n", [])
        base.reload()
        assert config != base.attrs["Config"]  # the base image keeps its own defaults
    finally:
        box.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(name)  # by its name: never the base image by its ID


def mounted_volume(client: docker.DockerClient, container_name: str, since: int) -> str:
    """The volume the engine mounted for the container of that name, from its events."""
    events = list(
        client.events(
            since=since,
            until=int(time.time()) + 1,
            decode=True,
            filters={"type": ["container", "volume"]},
        )
    )
    ids = {
        e["Actor"]["ID"]
        for e in events
        if e["Type"] == "container" and e["Actor"]["Attributes"].get("name") == container_name
    }
    [volume] = {
        e["Actor"]["ID"]
        for e in events
        if e["Type"] == "volume"
        and e["Action"] == "mount"
        and e["Actor"]["Attributes"].get("container") in ids
    }
    return str(volume)


@pytest.mark.claim("sdk-volumes-argument-declares-image-volumes")
def test_committing_a_container_made_with_sdk_volumes_declares_a_volume(
    docker_client, busybox, volume
):
    box = docker_client.containers.run(
        busybox, "sleep 300", detach=True, volumes={volume.name: {"bind": "/data", "mode": "rw"}}
    )
    snapshot = None
    try:
        assert box.attrs["Config"]["Volumes"] == {"/data": {}}  # set by the SDK, not by Docker
        assert box.exec_run(["sh", "-c", "echo v > /data/volume.txt"]).exit_code == 0
        snapshot = box.commit(repository=f"snapshot-{uuid.uuid4().hex[:8]}")
        assert snapshot.attrs["Config"]["Volumes"] == {"/data": {}}
        out, mounts = run_to_completion(docker_client, snapshot.id, "ls -A /data")
        assert out == b""  # a new, empty volume: not the data, not the named volume
        assert [(m["Type"], m["Destination"]) for m in mounts] == [("volume", "/data")]
        assert mounts[0]["Name"] != volume.name
        # Removing such a container without -v leaves its anonymous volume behind.
        leftover = docker_client.containers.create(snapshot.id, "true")
        leftover.reload()
        anonymous = leftover.attrs["Mounts"][0]["Name"]
        leftover.remove()
        docker_client.volumes.get(anonymous).remove()  # still there; and now cleaned up
        # So does the SDK's run(..., remove=True): the container is gone, its volume is not.
        # The engine's events name the volume it mounted for that container (other runs may
        # make volumes meanwhile).
        since, name = int(time.time()) - 1, f"sdk-remove-{uuid.uuid4().hex[:8]}"
        docker_client.containers.run(snapshot.id, "true", name=name, remove=True)
        left_behind = mounted_volume(docker_client, name, since)
        docker_client.volumes.get(left_behind).remove()  # still there; and now cleaned up
    finally:
        box.remove(force=True)
        if snapshot is not None:
            docker_client.images.remove(snapshot.id, force=True)


@pytest.mark.claim("read-only-rootfs-refuses-writes")
def test_read_only_rootfs_refuses_writes_but_mounts_stay_writable(busybox, volume):
    box = (
        DockerContainer(busybox)
        .with_command("sleep 300")
        .with_kwargs(read_only=True)
        .with_tmpfs_mount("/tmp")
        .with_volume_mapping(volume.name, "/data", "rw")
    )
    with box:
        wrapped = box.get_wrapped_container()
        assert wrapped.attrs["HostConfig"]["ReadonlyRootfs"] is True
        # Under load an exec's output is now and then lost (docker/docker-py#2042): a refusal
        # always prints its reason, so an empty answer is asked again (bounded).
        for _ in range(3):
            result = box.exec(["touch", "/new.txt"])
            if result.output:
                break
        assert result.exit_code == 1
        assert b"Read-only file system" in result.output
        assert box.exec(["touch", "/tmp/scratch"]).exit_code == 0
        assert box.exec(["touch", "/data/new.txt"]).exit_code == 0
        # Nothing reached the writable layer but the mount point Docker made for the volume.
        assert [change["Path"] for change in wrapped.diff() or []] == ["/data"]
