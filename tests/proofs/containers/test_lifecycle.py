"""Proofs for docs/containers/lifecycle.md."""

import io
import json
import threading
import time
import uuid

import docker
import pytest

from .container_helpers import LONG_SLEEP, remove_quietly, sh, signal_and_exit, wait_for_command

INDEPENDENT = "lifecycle-independent-unless-shared"
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


@pytest.mark.claim(
    INDEPENDENT, "lifecycle-leaves-other-containers-alone", "restart-keeps-id-and-writable-layer"
)
def test_lifecycle_of_one_container_leaves_another_alone_and_restart_keeps_the_layer(
    docker_client, containers, busybox
):
    busy = containers(init=True)
    busy_id = busy.id
    other = containers()
    before = snapshot(other)
    assert sh(busy, "echo kept > /tmp/note")[0] == 0
    busy.stop(timeout=5)
    assert snapshot(other) == before
    busy.start()
    assert snapshot(other) == before
    _, _, pid, started, _ = snapshot(busy)
    busy.restart(timeout=5)
    assert snapshot(other) == before
    # The restart made a new process in the same container, with the same writable layer.
    restarted_id, status, new_pid, new_started, _ = snapshot(busy)
    assert (restarted_id, status) == (busy_id, "running")
    assert (new_pid, new_started) != (pid, started)
    assert sh(busy, "cat /tmp/note") == (0, "kept\n")
    busy.remove(force=True)
    assert snapshot(other) == before
    assert sh(other, "true")[0] == 0
    assert docker_client.images.get(busybox).id == other.image.id  # the image is still there


@pytest.mark.claim(
    DEFAULT_GRACE, "containers-share-the-engines-kernel", "killed-container-exits-137"
)
def test_stop_waits_the_grace_period_then_kills_a_pid_1_that_ignores_sigterm(
    docker_client, containers, measure
):
    box = containers()
    assert box.attrs["Config"].get("StopSignal") in (None, "", "SIGTERM")
    wait_for_command(box)
    since = int(time.time()) - 1
    started = time.monotonic()
    box.stop(timeout=1)
    seconds = time.monotonic() - started
    measure("stop-ignoring-sigterm", round(seconds, 1), "s")
    assert 1 <= seconds < 5  # the 1 s grace period, then the kill
    # SIGTERM (15) first, SIGKILL (9) after the grace period: the engine's kill events.
    assert signal_and_exit(docker_client, box, since) == (["15", "9"], 137)


@pytest.mark.claim(DEFAULT_GRACE)
def test_stop_sends_the_stop_signal_and_waits_the_stop_timeout(docker_client, containers, busybox):
    # PID 1 traps TERM and USR1 with exit codes of its own: the code tells which signal came.
    script = 'trap "exit 15" TERM; trap "exit 10" USR1; sleep 300 & wait'
    by_default = containers(["sh", "-c", script])
    by_option = containers(["sh", "-c", script], stop_signal="SIGUSR1")
    # An image whose STOPSIGNAL is SIGUSR1 (20.10's commit refuses STOPSIGNAL: a build).
    dockerfile = f'FROM {busybox}\nSTOPSIGNAL SIGUSR1\nCMD ["sh", "-c", {json.dumps(script)}]\n'
    stop_signal_image, _ = docker_client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=f"stopsignal-{uuid.uuid4().hex[:8]}", rm=True
    )
    by_image = docker_client.containers.run(stop_signal_image.id, detach=True)
    try:
        for box in (by_default, by_option, by_image):
            wait_for_command(box)  # the traps are set
            box.stop(timeout=5)
        assert by_default.wait(timeout=30)["StatusCode"] == 15
        assert by_option.wait(timeout=30)["StatusCode"] == 10
        assert by_image.wait(timeout=30)["StatusCode"] == 10
    finally:
        remove_quietly(by_image)
        docker_client.images.remove(stop_signal_image.id, force=True)
    # Without -t, the container's --stop-timeout is the grace period (2 s, not 10).
    created = docker_client.api.create_container(busybox, LONG_SLEEP, stop_timeout=2)
    patient = docker_client.containers.get(created["Id"])
    try:
        patient.start()
        wait_for_command(patient)
        started = time.monotonic()
        docker_client.api.stop(patient.id)  # no `t`: the container's own timeout applies
        seconds = time.monotonic() - started
        assert 2 <= seconds < 10
        assert patient.wait(timeout=30)["StatusCode"] == 137
    finally:
        remove_quietly(patient)


@pytest.mark.claim("init-or-trap-stops-promptly", "containers-share-the-engines-kernel")
def test_init_makes_stop_prompt(containers, measure):
    prompt = containers(init=True)
    wait_for_command(prompt)  # the init has started sleep and passes signals to it
    started = time.monotonic()
    prompt.stop(timeout=10)
    seconds = time.monotonic() - started
    measure("stop-with-init", round(seconds, 1), "s")
    assert seconds < 5  # far below the 10 s grace period: no SIGKILL was needed
    assert prompt.wait(timeout=30)["StatusCode"] == 143


def restart_count(container):
    container.reload()
    return container.attrs["RestartCount"]


def restarts_within(container, seconds):
    """The container's restart count once it is above 0, or 0 after `seconds`. The engine
    restarts a container 100 ms after it exits, and later after each further exit."""
    deadline = time.monotonic() + seconds
    while (count := restart_count(container)) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


@pytest.mark.claim("restart-policy-default-no")
def test_an_exited_container_stays_exited_by_default(containers):
    failed = containers(["sh", "-c", "exit 1"])
    assert failed.wait(timeout=30)["StatusCode"] == 1
    assert failed.attrs["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
    assert restarts_within(failed, 2) == 0
    assert failed.status == "exited"


@pytest.mark.claim("on-failure-restarts-up-to-max")
def test_on_failure_does_not_restart_after_a_zero_exit(containers):
    # The failing case, with its restart count and writable layer, is in the transcript and
    # the SDK script; this is the other half of the policy.
    box = containers(["sh", "-c", "exit 0"], restart_policy={"Name": "on-failure"})
    assert box.wait(timeout=30)["StatusCode"] == 0
    assert restarts_within(box, 2) == 0
    assert box.status == "exited"


@pytest.mark.claim("always-restarts-even-after-success")
def test_always_and_unless_stopped_restart_after_a_zero_exit(containers):
    for policy in ("always", "unless-stopped"):
        done = containers("true", restart_policy={"Name": policy})
        assert restarts_within(done, 10) >= 1, policy
        assert done.attrs["State"]["ExitCode"] == 0


@pytest.mark.claim("manual-stop-suppresses-restarts")
def test_a_manual_stop_ends_the_restarts(containers):
    for policy in ("always", "unless-stopped"):
        stopped = containers(init=True, restart_policy={"Name": policy})
        wait_for_command(stopped)
        stopped.stop(timeout=5)
        assert restarts_within(stopped, 2) == 0, policy
        assert stopped.status == "exited"


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
