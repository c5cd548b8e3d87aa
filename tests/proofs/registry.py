"""A private image registry for the push and pull proofs, with no network beyond loopback.

Debian's `docker-registry` (the Distribution registry, 2.8) runs as a host process on
127.0.0.1 and a free port, with the suite's own minimal config: filesystem storage in a
temporary directory, deletes enabled, no `auth` section (the packaged config turns on htpasswd
auth, which would answer 401). Docker treats 127.0.0.0/8 as an insecure registry by default,
so the engine pushes and pulls over plain HTTP without any daemon configuration.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REGISTRY_BINARY = "/usr/bin/docker-registry"
START_SECONDS = 10.0
STOP_SECONDS = 10.0

CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: {address}
"""


class RegistryUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Registry:
    address: str  # host:port, as used in image references
    data: Path  # where the registry stores blobs and manifests

    def url(self, path: str) -> str:
        return f"http://{self.address}{path}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


@contextlib.contextmanager
def running_registry(binary: str = REGISTRY_BINARY) -> Iterator[Registry]:
    """Start a registry on 127.0.0.1:<free port>; stop it and delete its storage on exit."""
    if not Path(binary).is_file():
        raise RegistryUnavailable(
            f"{binary} is missing: install Debian's docker-registry package "
            "(apt-get install docker-registry)"
        )
    workdir = Path(tempfile.mkdtemp(prefix="registry-"))
    address = f"127.0.0.1:{_free_port()}"
    config = workdir / "config.yml"
    config.write_text(CONFIG.format(data=workdir / "data", address=address), encoding="utf-8")
    log = (workdir / "registry.log").open("wb")
    process = subprocess.Popen(
        [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=workdir
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(f"http://{address}/v2/"):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (workdir / "registry.log").read_text(errors="replace")[-2000:]
                state = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else f"did not answer within {START_SECONDS:.0f} s"
                )
                raise RegistryUnavailable(f"{binary} on {address} {state}:\n{output}")
            time.sleep(0.1)
        yield Registry(address, workdir / "data")
    finally:
        _stop(process)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
