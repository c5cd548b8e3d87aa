"""Proofs for docs/containers/writable-layer.md."""

import pytest
from testcontainers.core.container import DockerContainer

WRITE_NOTE = ["sh", "-c", "echo hello > /note.txt"]
HAS_NOTE = ["test", "-e", "/note.txt"]


def sleeper(image: str) -> DockerContainer:
    return DockerContainer(image).with_command("sleep 300")


@pytest.mark.claim(
    "changes-invisible-to-other-containers",
    "writable-layer-survives-stop-start",
    "writable-layer-removed-with-container",
)
def test_cli_transcript(console):
    console("containers/writable-layer/writable-layer.console")


@pytest.mark.claim(
    "changes-invisible-to-other-containers",
    "writable-layer-survives-stop-start",
    "writable-layer-removed-with-container",
)
def test_sdk_script(console):
    console("containers/writable-layer/sdk.console")


@pytest.mark.claim("changes-invisible-to-other-containers")
def test_a_file_written_in_one_container_is_absent_from_another(busybox):
    with sleeper(busybox) as writer, sleeper(busybox) as reader:
        assert writer.exec(WRITE_NOTE).exit_code == 0
        assert writer.exec(HAS_NOTE).exit_code == 0
        assert reader.exec(HAS_NOTE).exit_code == 1


@pytest.mark.claim("writable-layer-survives-stop-start", "writable-layer-removed-with-container")
def test_changes_survive_stop_and_start_and_die_with_rm(docker_client, busybox):
    box = docker_client.containers.run(busybox, "sleep 300", detach=True)
    try:
        box.exec_run(WRITE_NOTE)
        box.stop(timeout=1)
        box.reload()
        assert box.status == "exited"
        box.start()
        assert box.exec_run(HAS_NOTE).exit_code == 0
        assert {"Kind": 1, "Path": "/note.txt"} in (box.diff() or [])
    finally:
        box.remove(force=True)
    fresh = docker_client.containers.run(busybox, "sleep 300", detach=True)
    try:
        assert fresh.exec_run(HAS_NOTE).exit_code == 1
    finally:
        fresh.remove(force=True)


@pytest.mark.claim("container-activity-never-changes-image")
def test_cli_transcript_image_unchanged(console):
    console("containers/writable-layer/image-unchanged.console")


@pytest.mark.claim("container-activity-never-changes-image")
def test_sdk_script_image_unchanged(console):
    console("containers/writable-layer/image-unchanged-sdk.console")


@pytest.mark.claim("container-activity-never-changes-image")
def test_writes_and_deletions_in_a_container_leave_the_image_alone(docker_client, busybox):
    image = docker_client.images.get(busybox)
    before = (image.id, image.attrs["RootFS"]["Layers"], image.attrs["Size"])
    with sleeper(busybox) as box:
        script = "rm /bin/ls && echo x > /tmp/f && echo y >> /bin/busybox.note"
        assert box.exec(["sh", "-c", script]).exit_code == 0
        image.reload()
        assert (image.id, image.attrs["RootFS"]["Layers"], image.attrs["Size"]) == before
    with sleeper(busybox) as fresh:
        assert fresh.exec(["test", "-e", "/bin/ls"]).exit_code == 0
        assert fresh.exec(["test", "-e", "/tmp/f"]).exit_code == 1
