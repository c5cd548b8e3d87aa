"""Plain helpers for the container proofs (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
import time

import docker
from docker.errors import NotFound
from docker.models.containers import Container

LONG_SLEEP = "sleep 300"


def remove_quietly(container: Container) -> None:
    with contextlib.suppress(NotFound):
        container.remove(force=True, v=True)


def sh(container: Container, script: str) -> tuple[int, str]:
    """Run a shell script in a running container: (exit code, stdout and stderr)."""
    result = container.exec_run(["sh", "-c", script])
    return result.exit_code, result.output.decode()


def wait_for_command(container: Container, command: str = "sleep", timeout: float = 10.0) -> None:
    """A container reads as running while runc is still starting its process (`runc:[2:INIT]`)
    and before an init has started its child: wait, bounded, until `command` runs in it."""
    deadline = time.monotonic() + timeout
    while True:
        names = [row[-1] for row in container.top(ps_args="-o pid,comm")["Processes"]]
        if command in names:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{command} did not start in {container.name}: {names}")
        time.sleep(0.1)


def signal_and_exit(
    client: docker.DockerClient, box: Container, since: int
) -> tuple[list[str], int]:
    """The signals the engine sent the container since `since` (its `kill` events, in order)
    and its exit code."""
    code = box.wait(timeout=30)["StatusCode"]
    events = client.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"container": box.id, "event": "kill"},
        decode=True,
    )
    return [e["Actor"]["Attributes"]["signal"] for e in events], code
