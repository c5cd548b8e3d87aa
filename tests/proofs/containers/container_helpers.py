"""Plain helpers for the container proofs (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib

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
