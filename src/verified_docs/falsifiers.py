"""Falsifiers: for each claim, an edit that makes the claim false, so that its proofs must fail.

They are declared beside the proofs, one file per page, mirroring `docs/`:
`tests/proofs/falsifiers/images/layers.toml` holds those of `docs/images/layers.md`.

    [[falsifier]]
    claim = "init-flag-runs-docker-init-as-pid-1"
    why = "without --init the command itself is PID 1"
    file = "snippets/containers/what-is-a-container/init.console"
    replace = "docker run --init "
    with = "docker run "

A claim that holds on some engines only (`data-engines`) can also be falsified by widening its
scope on the page to an engine where it is false, with `engines = ["28.5"]`: the falsifier then
runs there, where the claim's proofs must fail.

`replace` must occur in `file` (every occurrence is replaced). The edit can change a command,
a Dockerfile, an option or a test's input: anything that makes the sentence untrue while the
proof would still run. `nox -s mutation` applies each one in a copy of the project and expects
the claim's proofs to fail there, on every engine of the claim's scope.
"""

from __future__ import annotations

import ast
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from verified_docs.document import DOCS, SNIPPETS, TESTS, Guide

FALSIFIERS = f"{TESTS}/proofs/falsifiers"
# What a proof run reads: the copy a falsifier edits holds these (the verifier is installed).
PROJECT_FILES = (DOCS, SNIPPETS, TESTS, "mkdocs.yml", "pyproject.toml")


class FalsifierError(ValueError):
    """A declaration that can't be applied; the message names its file."""


@dataclass(frozen=True)
class Falsifier:
    claim: str
    why: str
    file: str  # project path of the file to edit
    replace: str
    with_: str
    declared_in: str  # project path of its .toml
    engines: tuple[str, ...] = ()  # where to run it; () is the claim's scope

    @property
    def label(self) -> str:
        return f"{self.claim}: {self.why}"

    def apply(self, root: Path) -> None:
        """Edit the file under `root` (a copy of the project)."""
        path = root / self.file
        text = path.read_text(encoding="utf-8")
        if self.replace not in text:
            raise FalsifierError(f"{self.declared_in}: {self.file} has no {self.replace!r}")
        path.write_text(text.replace(self.replace, self.with_), encoding="utf-8")


def load_falsifiers(root: Path) -> list[Falsifier]:
    found: list[Falsifier] = []
    for path in sorted((root / FALSIFIERS).rglob("*.toml")):
        declared_in = path.relative_to(root).as_posix()
        try:
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("falsifier", [])
            found += [
                Falsifier(
                    e["claim"],
                    e["why"],
                    e["file"],
                    e["replace"],
                    e["with"],
                    declared_in,
                    tuple(e.get("engines", ())),
                )
                for e in entries
            ]
        except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
            raise FalsifierError(f"{declared_in}: {error!r}") from error
    return found


def compiles(source: str) -> bool:
    """Whether Python source parses: an edit that breaks a module fails every test in it, which
    says nothing about the claim."""
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def falsifier_problems(guide: Guide, falsifiers: list[Falsifier]) -> list[str]:
    """Declarations that name no claim of their page, or an edit that changes nothing."""
    problems: list[str] = []
    for falsifier in falsifiers:
        where = falsifier.declared_in
        page = where.removeprefix(f"{FALSIFIERS}/").removesuffix(".toml") + ".md"
        claim = guide.claims.get(falsifier.claim)
        if claim is None or claim.page != page:
            problems.append(f"{where}: claim {falsifier.claim!r} is not made on {DOCS}/{page}")
        path = guide.root / falsifier.file
        if not path.is_file():
            problems.append(f"{where}: {falsifier.claim}: no file {falsifier.file}")
        elif falsifier.replace not in (text := path.read_text(encoding="utf-8")):
            problems.append(
                f"{where}: {falsifier.claim}: {falsifier.file} lacks {falsifier.replace!r}"
            )
        elif path.suffix == ".py" and not compiles(
            text.replace(falsifier.replace, falsifier.with_)
        ):
            problems.append(f"{where}: {falsifier.claim}: the edit leaves {falsifier.file} invalid")
        if falsifier.replace == falsifier.with_:
            problems.append(f"{where}: {falsifier.claim}: `replace` and `with` are the same")
    return problems


def copy_project(root: Path, target: Path) -> Path:
    """A copy of what the proofs read, for one falsifier to edit."""
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for name in PROJECT_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target
