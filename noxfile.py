"""Sessions: prose -> snippets -> proofs -> site. `nox -l` lists them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
REPORT = "reports/verification.json"
QUIET_MKDOCS = {"NO_MKDOCS_2_WARNING": "true", "DISABLE_MKDOCS_2_WARNING": "true"}
PUBLISH = {**QUIET_MKDOCS, "VERIFIED_DOCS_PUBLISH": "1"}


def install(session: nox.Session, extra: str) -> None:
    session.install("-c", "constraints.txt", "-e", f".[{extra}]")


def run_proofs(session: nox.Session, *args: str) -> None:
    session.run("pytest", "tests", "--ignore=tests/site", f"--claims-report={REPORT}", *args)


def build_site(session: nox.Session) -> None:
    session.run("mkdocs", "build", "--strict", env=PUBLISH)


@nox.session
def verify(session: nox.Session) -> None:
    """Prove every claim against the Docker engine and write reports/verification.json."""
    install(session, "test")
    run_proofs(session, *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build site/ in publish mode: fails unless every claim is verified by the current report."""
    install(session, "docs")
    build_site(session)


@nox.session
def site(session: nox.Session) -> None:
    """Verify, then build the published site into site/ (open site/index.html)."""
    install(session, "test")
    run_proofs(session)
    build_site(session)
    index = ROOT / "site" / "index.html"
    session.log(f"Verified site built: open {index.as_uri()} or run `nox -s serve`.")


@nox.session
def serve(session: nox.Session) -> None:
    """Preview with live reload at http://127.0.0.1:8000; needs no Docker (claims show status)."""
    install(session, "docs")
    session.run(
        "mkdocs", "serve", "--livereload", "--no-strict", *session.posargs, env=QUIET_MKDOCS
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) over the harness, the extension and the Python snippets."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Everything CI runs: the proofs, the strict publish build, then the checks on site/."""
    install(session, "test")
    if os.environ.get("CI") and not shutil.which("docker"):
        session.error("CI=true but there is no docker CLI: run scripts/docker-engine.sh first")
    run_proofs(session, *session.posargs)
    build_site(session)
