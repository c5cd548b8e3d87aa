"""Proofs for docs/containers/what-is-a-container.md."""

import io
import tarfile

import docker
import pytest

from .container_helpers import sh, wait_for_command

OBJECT = "container-is-an-instance-with-state"


def one_file_tar(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.claim(OBJECT, "container-exists-without-a-process", "container-outlives-its-process")
def test_a_container_exists_before_and_after_its_process(docker_client, containers):
    box = containers(["sh", "-c", "echo ran > /tmp/ran; echo said-hello"], start=False)
    state = box.attrs["State"]
    assert (box.status, state["Pid"], state["StartedAt"][:4]) == ("created", 0, "0001")
    # It already has what makes it a container: ID, name, config and its own writable layer,
    # which takes a file before any process has run (on every image store).
    assert len(box.id) == 64
    assert box.name
    assert box.attrs["Config"]["Cmd"][0] == "sh"
    assert box.put_archive("/", one_file_tar("added-before-start", b"x"))
    assert {"Kind": 1, "Path": "/added-before-start"} in (box.diff() or [])
    box.reload()
    assert (box.status, box.attrs["State"]["Pid"]) == ("created", 0)
    box.start()
    assert box.wait(timeout=30)["StatusCode"] == 0
    box.reload()
    assert (box.status, box.attrs["State"]["Pid"]) == ("exited", 0)
    # Exited, it keeps its logs and writable layer, and can run again.
    assert docker_client.containers.get(box.id).logs() == b"said-hello\n"
    assert {"Kind": 1, "Path": "/tmp/ran"} in (box.diff() or [])
    box.start()
    assert box.wait(timeout=30)["StatusCode"] == 0
    assert box.logs() == b"said-hello\nsaid-hello\n"


@pytest.mark.claim(OBJECT, "container-process-is-a-host-process", "command-is-pid-1")
def test_a_running_container_is_an_ordinary_host_process(docker_client, containers, busybox):
    box = containers()
    wait_for_command(box)
    host_pid = box.attrs["State"]["Pid"]
    assert host_pid > 1
    # docker top lists the host's PIDs; inside, the same process is PID 1.
    top = box.top(ps_args="-o pid,comm")
    assert [str(host_pid), "sleep"] in top["Processes"]
    assert sh(box, "cat /proc/1/comm") == (0, "sleep\n")
    # Seen from the host's PID namespace, that PID is `sleep`, in a cgroup named after the ID.
    probe = ["sh", "-c", f"cat /proc/{host_pid}/comm /proc/{host_pid}/cgroup"]
    seen = docker_client.containers.run(busybox, probe, pid_mode="host", remove=True).decode()
    assert seen.splitlines()[0] == "sleep"
    assert box.id in seen


def processes(container):
    """(PID, parent PID, command) of every process in the container, as its `ps` sees them."""
    out = container.exec_run(["ps", "-o", "pid,ppid,comm"]).output.decode()
    return [tuple(line.split()) for line in out.splitlines()[1:]]


@pytest.mark.claim(
    OBJECT, "command-is-pid-1", "init-flag-runs-docker-init-as-pid-1", "one-image-many-containers"
)
def test_the_command_is_pid_1_unless_init_is_asked_for(docker_client, containers, busybox):
    plain = containers()
    assert not plain.attrs["HostConfig"].get("Init")
    # PID 1 is the command; apart from it there is only the `ps` we just exec'd.
    first, *rest = processes(plain)
    assert first == ("1", "0", "sleep")
    assert [comm for _, _, comm in rest] == ["ps"]
    supervised = containers(init=True)
    assert supervised.attrs["HostConfig"]["Init"] is True
    first, *rest = processes(supervised)
    assert first == ("1", "0", "docker-init")
    assert [(ppid, comm) for _, ppid, comm in rest if comm == "sleep"] == [("1", "sleep")]
    # Two containers of one image: each its own ID, name and hostname, the same image ID.
    assert plain.id != supervised.id
    assert plain.name != supervised.name
    assert plain.image.id == supervised.image.id == docker_client.images.get(busybox).id
    for box in (plain, supervised):
        assert sh(box, "hostname") == (0, f"{box.id[:12]}\n")


@pytest.mark.claim("container-states")
def test_the_engine_knows_the_seven_states_and_refuses_others(docker_client):
    for state in ("created", "restarting", "running", "removing", "paused", "exited", "dead"):
        docker_client.containers.list(all=True, filters={"status": state})  # accepted
    with pytest.raises(docker.errors.APIError) as refused:
        docker_client.containers.list(all=True, filters={"status": "sleeping"})
    assert refused.value.status_code == 400
