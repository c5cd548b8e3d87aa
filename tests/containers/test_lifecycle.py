"""Proofs for docs/containers/lifecycle.md."""

import threading
import time

import docker
import pytest
from container_helpers import LONG_SLEEP, poll, remove_quietly, sh

INDEPENDENT = "lifecycle-independent-unless-shared"
TRAP_TERM = ["sh", "-c", 'trap "exit 0" TERM; sleep 300 & wait']
DEFAULT_GRACE = "stop-sends-sigterm-then-sigkill-after-grace-period"


class StopInBackground:
    """`docker stop` with the engine's default grace period takes seconds when PID 1 ignores
    SIGTERM; it runs in a thread while the module's other tests run, and the last test checks
    it. Bounded: the thread's stop call gives up after 60 s."""

    def __init__(self, client: docker.DockerClient, image: str) -> None:
        self.container = client.containers.run(image, LONG_SLEEP, detach=True)
        self.seconds = -1.0
        self.thread = threading.Thread(target=self._stop, daemon=True)
        self.thread.start()

    def _stop(self) -> None:
        started = time.monotonic()
        # No timeout: the engine's default grace period applies (docker-py sends no `t`).
        self.container.client.api.stop(self.container.id)
        self.seconds = time.monotonic() - started


@pytest.fixture(scope="module", autouse=True)
def default_stop(docker_client, busybox_image):
    background = StopInBackground(docker_client, busybox_image.local_ref)
    yield background
    background.thread.join(timeout=60)
    remove_quietly(background.container)


@pytest.mark.claim(
    INDEPENDENT,
    "lifecycle-leaves-other-containers-alone",
    "restart-keeps-id-and-writable-layer",
    "rm-refuses-a-running-container",
)
def test_cli_transcript_independent(console):
    console("containers/lifecycle/independent.console")


@pytest.mark.claim(INDEPENDENT, "shared-network-namespace-couples-lifecycles")
def test_cli_transcript_coupled(console):
    console("containers/lifecycle/coupled.console")


@pytest.mark.claim(DEFAULT_GRACE, "init-or-trap-stops-promptly")
def test_cli_transcript_stop(console):
    console("containers/lifecycle/stop.console")


@pytest.mark.claim(
    "restart-policy-default-no",
    "on-failure-restarts-up-to-max",
    "always-restarts-even-after-success",
    "manual-stop-suppresses-restarts",
    "rm-excludes-restart-policy",
)
def test_cli_transcript_restart_policies(console):
    console("containers/lifecycle/restart-policies.console")


@pytest.mark.claim(
    "on-failure-restarts-up-to-max", "rm-excludes-restart-policy", "rm-refuses-a-running-container"
)
def test_sdk_script(console):
    console("containers/lifecycle/sdk.console")


def snapshot(container):
    container.reload()
    state = container.attrs["State"]
    return (
        container.id,
        state["Status"],
        state["Pid"],
        state["StartedAt"],
        container.attrs["RestartCount"],
    )


@pytest.mark.claim(INDEPENDENT, "lifecycle-leaves-other-containers-alone")
def test_stop_start_restart_and_rm_of_one_container_leave_another_alone(
    docker_client, containers, busybox
):
    other = containers()
    before = snapshot(other)
    busy = containers(init=True)
    for step in (
        lambda: busy.stop(timeout=5),
        busy.start,
        lambda: busy.restart(timeout=5),
        lambda: busy.remove(force=True),
    ):
        step()
        assert snapshot(other) == before
    assert sh(other, "true")[0] == 0
    assert docker_client.images.get(busybox).id == other.image.id  # the image is still there


@pytest.mark.claim(INDEPENDENT, "restart-keeps-id-and-writable-layer")
def test_restart_keeps_the_id_and_the_writable_layer(containers):
    box = containers(init=True)
    assert sh(box, "echo kept > /tmp/note")[0] == 0
    _, _, pid, started, _ = snapshot(box)
    box.restart(timeout=5)
    box_id, status, new_pid, new_started, _ = snapshot(box)
    assert (box_id, status) == (box.id, "running")
    assert new_started != started
    assert new_pid != pid  # a new process, in the same container
    assert sh(box, "cat /tmp/note") == (0, "kept\n")


@pytest.mark.claim("rm-refuses-a-running-container")
def test_rm_refuses_a_running_container_unless_forced(docker_client, containers):
    box = containers()
    with pytest.raises(docker.errors.APIError) as refused:
        box.remove()
    assert refused.value.status_code == 409
    assert docker_client.containers.get(box.id).status == "running"
    box.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(box.id)


@pytest.mark.claim(INDEPENDENT, "shared-network-namespace-couples-lifecycles")
def test_restarting_the_owner_of_a_shared_network_cuts_off_the_guest(containers):
    owner = containers(init=True)
    guest = containers(init=True, network_mode=f"container:{owner.id}")

    def interfaces(container):
        return sh(container, "ls /sys/class/net")[1].split()

    def netns(container):
        return sh(container, "readlink /proc/self/ns/net")[1]

    assert interfaces(guest) == ["eth0", "lo"]
    owner.restart(timeout=5)
    # The guest keeps running, but in the owner's old namespace, whose eth0 is gone.
    guest.reload()
    assert guest.status == "running"
    assert interfaces(guest) == ["lo"]
    assert netns(guest) != netns(owner)
    guest.restart(timeout=5)  # rejoins the owner's current namespace
    assert interfaces(guest) == ["eth0", "lo"]
    assert netns(guest) == netns(owner)


@pytest.mark.claim(DEFAULT_GRACE)
def test_stop_waits_the_grace_period_then_kills_a_pid_1_that_ignores_sigterm(containers, measure):
    box = containers()
    assert box.attrs["Config"].get("StopSignal") in (None, "", "SIGTERM")
    started = time.monotonic()
    box.stop(timeout=1)
    seconds = time.monotonic() - started
    measure("stop-ignoring-sigterm", round(seconds, 1), "s")
    assert seconds >= 1
    assert box.wait(timeout=30)["StatusCode"] == 137


@pytest.mark.claim("init-or-trap-stops-promptly")
@pytest.mark.parametrize(
    ("command", "kwargs", "code"), [(LONG_SLEEP, {"init": True}, 143), (TRAP_TERM, {}, 0)]
)
def test_init_or_a_trap_makes_stop_prompt(containers, measure, command, kwargs, code):
    box = containers(command, **kwargs)
    started = time.monotonic()
    box.stop(timeout=10)
    seconds = time.monotonic() - started
    if code == 143:
        measure("stop-with-init", round(seconds, 1), "s")
    assert seconds < 5  # far below the 10 s grace period: no SIGKILL was needed
    assert box.wait(timeout=30)["StatusCode"] == code


@pytest.mark.claim("restart-policy-default-no")
def test_by_default_an_exited_container_is_not_restarted(containers):
    box = containers(["sh", "-c", "exit 1"])
    assert box.attrs["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
    assert box.wait(timeout=30)["StatusCode"] == 1
    time.sleep(0.5)  # a first restart would come after 100 ms
    box.reload()
    assert (box.status, box.attrs["RestartCount"]) == ("exited", 0)


def restart_count(container):
    container.reload()
    return container.attrs["RestartCount"]


@pytest.mark.claim("on-failure-restarts-up-to-max")
def test_on_failure_restarts_a_failing_command_up_to_the_maximum(containers):
    failing = containers(
        ["sh", "-c", "echo run >> /tmp/runs; exit 3"],
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
    )
    succeeding = containers(
        ["sh", "-c", "exit 0"], restart_policy={"Name": "on-failure", "MaximumRetryCount": 2}
    )
    assert poll(lambda: restart_count(failing) == 2 and failing.status == "exited")
    assert failing.attrs["State"]["ExitCode"] == 3
    # Each restart ran in the same container: the writable layer collected all three runs.
    assert b"run\nrun\nrun\n" in b"".join(failing.get_archive("/tmp/runs")[0])
    assert (restart_count(succeeding), succeeding.status) == (0, "exited")


@pytest.mark.claim("always-restarts-even-after-success", "manual-stop-suppresses-restarts")
def test_always_and_unless_stopped_restart_until_stopped_by_hand(containers):
    boxes = [containers("true", restart_policy={"Name": p}) for p in ("always", "unless-stopped")]
    for box in boxes:
        assert poll(lambda box=box: restart_count(box) >= 1)  # restarted after exiting with 0
    for box in boxes:
        box.stop(timeout=1)
    counts = [restart_count(box) for box in boxes]
    time.sleep(1)  # several back-off periods at this restart count
    assert [(restart_count(box), box.status) for box in boxes] == [
        (count, "exited") for count in counts
    ]


@pytest.mark.claim("rm-excludes-restart-policy")
def test_auto_remove_and_a_restart_policy_are_refused_together(docker_client, busybox):
    with pytest.raises(docker.errors.APIError) as refused:
        docker_client.containers.create(
            busybox, "true", auto_remove=True, restart_policy={"Name": "always"}
        )
    assert refused.value.status_code == 400


@pytest.mark.claim(DEFAULT_GRACE)
def test_the_default_grace_period_is_ten_seconds(default_stop, measure):
    """Last in the module: the stop started with the module has had time to finish."""
    default_stop.thread.join(timeout=60)
    assert not default_stop.thread.is_alive()
    measure("stop-default-grace", round(default_stop.seconds, 1), "s")
    assert 10 <= default_stop.seconds < 30
    assert default_stop.container.wait(timeout=30)["StatusCode"] == 137
