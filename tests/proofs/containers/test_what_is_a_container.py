"""Proofs for docs/containers/what-is-a-container.md."""

import io
import tarfile
import time

import docker
import pytest
from docker.models.containers import Container

from .container_helpers import sh, signal_and_exit, wait_for_command

OBJECT = "container-is-an-instance-with-state"


def one_file_tar(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def printed(box: Container, script: str) -> str:
    """What a script that must print something printed. Under load an exec's output is now
    and then lost (docker/docker-py#2042): an empty answer is asked again (bounded)."""
    for _ in range(3):
        code, out = sh(box, script)
        assert code == 0
        if out:
            break
    return out


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
    assert printed(box, "cat /proc/1/comm") == "sleep\n"
    # Seen from the host's PID namespace, that PID is `sleep`, in a cgroup named after the ID.
    probe = ["sh", "-c", f"cat /proc/{host_pid}/comm /proc/{host_pid}/cgroup"]
    seen = docker_client.containers.run(busybox, probe, pid_mode="host", remove=True).decode()
    assert seen.splitlines()[0] == "sleep"
    assert box.id in seen


def processes(container):
    """(PID, parent PID, command) of every process in the container, as its `ps` sees them."""
    out = container.exec_run(["ps", "-o", "pid,ppid,comm"]).output.decode()
    return [tuple(line.split()) for line in out.splitlines()[1:]]


@pytest.mark.claim(OBJECT, "command-is-pid-1", "init-flag-runs-docker-init-as-pid-1")
def test_the_command_is_pid_1_unless_init_is_asked_for(containers):
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


@pytest.mark.claim("one-image-many-containers")
def test_one_image_gives_containers_of_their_own(docker_client, containers, busybox, evidence):
    image_id = docker_client.images.get(busybox).id
    left = containers()
    right = containers()
    boxes = (left, right)
    # Each has its own ID and name, and its hostname is its ID's first 12 characters.
    assert left.id != right.id
    assert left.name != right.name
    for box in boxes:
        assert printed(box, "hostname") == f"{box.id[:12]}\n"
    # Each has its own writable layer: both write /tmp/owner, and each reads back its own.
    for box in boxes:
        assert sh(box, f"echo {box.name} > /tmp/owner") == (0, "")
    for box in boxes:
        assert printed(box, "cat /tmp/owner") == f"{box.name}\n"
        assert {"Kind": 1, "Path": "/tmp/owner"} in (box.diff() or [])
    # Both record the same image ID; docker ps lists both, each with the image it was made from.
    assert left.image.id == right.image.id == image_id
    listed = docker_client.containers.list(filters={"id": [b.id for b in boxes]}, sparse=True)
    assert sorted((c.id, c.attrs["ImageID"]) for c in listed) == sorted(
        (b.id, image_id) for b in boxes
    )
    evidence(
        "two containers of one image",
        "\n".join(f"{b.name}: ID {b.id}, hostname {b.id[:12]} (12 characters)" for b in boxes)
        + f"\nimage ID of both: {image_id}",
    )


@pytest.mark.claim("container-states")
def test_the_engine_knows_the_seven_states_and_refuses_others(docker_client):
    for state in ("created", "restarting", "running", "removing", "paused", "exited", "dead"):
        # Accepted. (The low-level call lists without inspecting each container, which other
        # runs may remove meanwhile.)
        docker_client.api.containers(all=True, filters={"status": state})
    with pytest.raises(docker.errors.APIError) as refused:
        docker_client.api.containers(all=True, filters={"status": "sleeping"})
    assert refused.value.status_code == 400


def states_seen(box: Container, seconds: float) -> set[str]:
    """The states a container passes through in the next few seconds (polled)."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        box.reload()
        seen.add(box.status)
        time.sleep(0.05)
    return seen


@pytest.mark.claim("container-states")
def test_a_container_goes_through_its_states(containers):
    box = containers(start=False)
    assert box.status == "created"
    box.start()
    box.reload()
    assert box.status == "running"
    box.pause()
    box.reload()
    assert box.status == "paused"  # frozen, not ended: unpaused, the same process runs on
    pid = box.attrs["State"]["Pid"]
    box.unpause()
    box.reload()
    assert (box.status, box.attrs["State"]["Pid"]) == ("running", pid)
    box.kill()
    box.wait(timeout=30)
    box.reload()
    assert box.status == "exited"
    # A command that keeps failing under a restart policy: between its runs the engine waits
    # (100 ms, then twice as long each time), and the container is `restarting`.
    failing = containers(["false"], restart_policy={"Name": "always"})
    assert "restarting" in states_seen(failing, 5)


@pytest.mark.claim("killed-container-exits-137", "sigterm-under-init-exits-143")
def test_a_signal_s_exit_code_is_128_plus_its_number(docker_client, containers, evidence):
    since = int(time.time()) - 1
    killed = containers()
    wait_for_command(killed)
    killed.kill()
    kill_signals, kill_code = signal_and_exit(docker_client, killed, since)
    assert (kill_signals, kill_code) == (["9"], 137)
    assert kill_code == 128 + int(kill_signals[0])
    # With --init, docker stop's SIGTERM reaches sleep, which dies of it at once.
    stopped = containers(init=True)
    wait_for_command(stopped)
    started = time.monotonic()
    stopped.stop(timeout=30)
    assert time.monotonic() - started < 10
    stop_signals, stop_code = signal_and_exit(docker_client, stopped, since)
    assert (stop_signals, stop_code) == (["15"], 143)
    assert stop_code == 128 + int(stop_signals[0])
    evidence(
        "exit codes after a signal (the engine's kill events and the container's exit code)",
        f"docker kill: signal {kill_signals[0]}, exit code {kill_code} = 128 + {kill_signals[0]}"
        f"\ndocker stop under --init: signal {stop_signals[0]}, exit code {stop_code}"
        f" = 128 + {stop_signals[0]}",
    )
