"""The engine matrix: run the proofs on every engine at once, one pytest per engine.

`scripts/engines.sh up` starts the engines and describes them in `engines.json` (socket,
docker CLI, CLI config with its buildx plugin). Each engine's run gets that environment and
`VERIFIED_DOCS_ENGINE=<name>`, writes its records into the one report (the writer merges
under a lock), and prints its lines prefixed with the engine's name.

    python -m verified_docs.matrix [--engine NAME ...] -- PYTEST-ARGS

Without engines.json, the matrix is the one engine the environment points at.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MATRIX = Path(os.environ.get("VERIFIED_DOCS_CACHE", "/var/cache/verified-docs"), "engines")
MATRIX_FILE = MATRIX / "engines.json"
RUN_SECONDS = float(os.environ.get("VERIFIED_DOCS_MATRIX_TIMEOUT", "3600"))


class MatrixError(RuntimeError):
    """A matrix that can't run; the message is one actionable line."""


@dataclass(frozen=True)
class Engine:
    name: str
    docker_host: str
    docker: str  # the engine's own docker CLI
    docker_config: str | None  # its CLI config: plugins such as buildx

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        env = dict(base, VERIFIED_DOCS_ENGINE=self.name, DOCKER_HOST=self.docker_host)
        env.pop("DOCKER_CONTEXT", None)
        env.pop("DOCKER_CONFIG", None)
        if self.docker_config:
            env["DOCKER_CONFIG"] = self.docker_config
        env["PATH"] = f"{Path(self.docker).parent}{os.pathsep}{base.get('PATH', '')}"
        return env


def load_matrix(path: Path = MATRIX_FILE) -> list[Engine]:
    """The engines engines.sh described; empty when it never ran here."""
    if not path.is_file():
        return []
    described = json.loads(path.read_text(encoding="utf-8"))["engines"]
    return [
        Engine(e["name"], e["DOCKER_HOST"], e["docker"], e.get("DOCKER_CONFIG")) for e in described
    ]


def choose(engines: list[Engine], names: list[str]) -> list[Engine]:
    if not names:
        return engines
    known = {engine.name: engine for engine in engines}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise MatrixError(
            f"no engine {', '.join(unknown)} in {MATRIX_FILE} (engines: {', '.join(known)}); "
            "start it with `bash scripts/engines.sh up NAME`"
        )
    return [known[name] for name in names]


def answers(engine: Engine, timeout: float = 5) -> bool:
    """Whether something listens at the engine's socket (a unix socket or tcp://host:port)."""
    scheme, _, where = engine.docker_host.partition("://")
    try:
        if scheme == "unix":
            with socket.socket(socket.AF_UNIX) as unix:
                unix.settimeout(timeout)
                unix.connect(where)
        else:
            host, _, port = where.rpartition(":")
            socket.create_connection((host, int(port)), timeout=timeout).close()
    except (OSError, ValueError):
        return False
    return True


def check_answering(engines: list[Engine]) -> None:
    """One line naming the engines of the matrix that don't answer, before any run starts."""
    silent = [engine.name for engine in engines if not answers(engine)]
    if silent:
        raise MatrixError(
            f"No Docker engine answers for {', '.join(silent)} (listed in {MATRIX_FILE}): "
            f"start them with `sudo bash scripts/engines.sh up {' '.join(silent)}`"
        )


def share_cores(engines: int, pytest_args: list[str]) -> list[str]:
    """xdist workers per engine, unless the arguments choose: the machine's cores shared
    between the engines' runs (at least one each)."""
    if any(a.startswith(("-n", "--numprocesses")) for a in pytest_args):
        return pytest_args
    workers = max(1, (os.cpu_count() or 1) // max(engines, 1))
    return ["-n", str(workers), *pytest_args]


def run(engines: list[Engine], pytest_args: list[str], timeout: float = RUN_SECONDS) -> int:
    """One pytest per engine, side by side; the worst exit status."""
    pytest_args = share_cores(len(engines), pytest_args)
    base = dict(os.environ)
    runs: dict[str, subprocess.Popen[str]] = {}
    selector = selectors.DefaultSelector()
    for engine in engines:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *pytest_args],
            env=engine.environment(base),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        runs[engine.name] = process
        assert process.stdout is not None
        selector.register(process.stdout, selectors.EVENT_READ, engine.name)
    deadline = time.monotonic() + timeout
    open_streams = len(runs)
    while open_streams:
        if time.monotonic() > deadline:
            for process in runs.values():
                process.kill()
            print(f"matrix: stopped after {timeout:g} s", flush=True)
            return 1
        for key, _ in selector.select(timeout=1):
            line = key.fileobj.readline()  # type: ignore[union-attr]
            if not line:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            print(f"[{key.data}] {line}", end="", flush=True)
    codes = {name: process.wait(timeout=60) for name, process in runs.items()}
    for name, code in codes.items():
        print(f"matrix: engine {name}: pytest exit status {code}", flush=True)
    return max(codes.values(), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", action="append", default=[], help="only this engine")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    pytest_args = [a for a in args.pytest_args if a != "--"]
    engines = load_matrix()
    try:
        chosen = choose(engines, args.engine)
        check_answering(chosen)
    except MatrixError as error:
        print(error, file=sys.stderr)
        return 2
    if not chosen:  # no matrix here: the engine the environment points at
        return subprocess.call([sys.executable, "-m", "pytest", *share_cores(1, pytest_args)])
    return run(chosen, pytest_args)


if __name__ == "__main__":
    sys.exit(main())
