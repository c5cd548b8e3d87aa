"""Sessions: prose -> snippets -> proofs -> site -> checks. `nox -l` lists them."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
QUIET_MKDOCS = {"NO_MKDOCS_2_WARNING": "true", "DISABLE_MKDOCS_2_WARNING": "true"}
PUBLISH = {**QUIET_MKDOCS, "VERIFIED_DOCS_PUBLISH": "1"}
MERMAID_VERSION = "11.17.2"  # the major version Material for MkDocs asks for


def install(session: nox.Session, *extras: str) -> None:
    session.install("-c", "constraints.txt", "-e", f".[{','.join(extras)}]")


def start_engines(session: nox.Session) -> None:
    """On Debian as root, bring up the engine matrix (seconds once downloaded, and a no-op for
    engines already running); elsewhere the proofs use the engine your docker CLI reaches and
    stop in one line when none answers."""
    if getattr(os, "geteuid", lambda: -1)() == 0 and Path("/etc/debian_version").is_file():
        session.run("bash", "scripts/engines.sh", "up", external=True)


def on_engines(session: nox.Session, *args: str) -> None:
    """pytest on every engine of the matrix at once (`--engine NAME`: on that one only)."""
    engines: list[str] = []
    rest = list(args)
    while "--engine" in rest:
        at = rest.index("--engine")
        engines += ["--engine", rest[at + 1]]
        del rest[at : at + 2]
    session.run("python", "-m", "verified_docs.matrix", *engines, "--", *rest)


def run_proofs(session: nox.Session, *args: str) -> None:
    """The guide's proofs, writing the report; an existing path in the arguments (a page, a
    snippet, a test file) re-proves only the tests that read it."""
    start_engines(session)
    changed = [f"--changed={a}" for a in args if (ROOT / a).exists()]
    rest = [a for a in args if not (ROOT / a).exists()]
    on_engines(session, "tests/proofs", "--claims-report", *changed, *rest)


def run_unit(session: nox.Session, *args: str) -> None:
    session.run("pytest", "tests/unit", *args)


def run_reliability(session: nox.Session, *args: str) -> None:
    start_engines(session)
    on_engines(session, "tests/reliability", *args)


def check_mutations(session: nox.Session, *claims: str) -> None:
    session.run("python", "tools/mutation_check.py", *claims)


def build_site(session: nox.Session) -> None:
    session.run("mkdocs", "build", "--strict", env=PUBLISH)


def check_site(session: nox.Session, *args: str) -> None:
    session.run("pytest", "tests/site", *args)


@nox.session
def verify(session: nox.Session) -> None:
    """Prove the claims on the engine and write the report (-- docs/x.md: what reads it)."""
    install(session, "test")
    run_proofs(session, *session.posargs)


@nox.session
def unit(session: nox.Session) -> None:
    """The verifier's unit tests and the guide's static checks: no Docker, seconds."""
    install(session, "test")
    run_unit(session, *session.posargs)


@nox.session
def engines(session: nox.Session) -> None:
    """Kill each engine beside 20.10 with SIGKILL and check `engines.sh up` recovers it."""
    install(session, "test")
    session.run("pytest", "tests/engines", *session.posargs)


@nox.session
def reliability(session: nox.Session) -> None:
    """The suite checking itself on the engine: leaks, kills, errors, parallel runs, loopback."""
    install(session, "test")
    run_reliability(session, *session.posargs)


@nox.session
def mutation(session: nox.Session) -> None:
    """Each claim's falsifiers on every engine of its scope, and the output-line baseline: every
    one must make the claim's proofs fail (needs a report; `-- --list` shows what would run)."""
    install(session, "test")
    check_mutations(session, *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Print verify wall time (whole, per page, per claim), overhead vs plain docker, build time."""
    install(session, "test")
    session.run("python", "tools/bench.py", *session.posargs, env=QUIET_MKDOCS)


@nox.session
def combine(session: nox.Session) -> None:
    """Combine the reports of separate runs (CI's job per engine) into the report."""
    install(session, "docs")
    report = session.run(
        "python", "-c", "from verified_docs.document import REPORT; print(REPORT)", silent=True
    )
    session.run("python", "-m", "verified_docs.report", str(report).strip(), *session.posargs)


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


@nox.session(name="site-checks")
def site_checks(session: nox.Session) -> None:
    """Check the built site/: links and anchors, accessibility, browser, requests, screenshots."""
    install(session, "test")
    check_site(session, *session.posargs)


@nox.session
def serve(session: nox.Session) -> None:
    """Preview with live reload at http://127.0.0.1:8000; needs no Docker (claims show status)."""
    install(session, "docs")
    session.run(
        "mkdocs", "serve", "--livereload", "--no-strict", *session.posargs, env=QUIET_MKDOCS
    )


def hook_pins_match_constraints(session: nox.Session) -> None:
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    pinned = dict(re.findall(r"^([\w.-]+)==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M))
    pinned = {name.lower().replace("_", "-"): version for name, version in pinned.items()}
    for name, version in re.findall(r'"([\w.-]+)==([^"]+)"', hooks):
        if pinned.get(name.lower()) != version:
            session.error(
                f".pre-commit-config.yaml installs {name}=={version}, constraints.txt pins "
                f"{pinned.get(name.lower())}: make them agree"
            )


@nox.session
def lint(session: nox.Session) -> None:
    """The pre-commit hooks on every file (ruff, whitespace, YAML), then mypy --strict on src/."""
    install(session, "lint")
    hook_pins_match_constraints(session)
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *session.posargs)
    session.run("mypy")  # strict, on src/ (pyproject.toml)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on the engine matrix: unit, engine recovery, proofs, reliability,
    strict build, site checks. The falsifiers run apart (`nox -s mutation`, CI's engine jobs)."""
    install(session, "test")
    start_engines(session)
    if os.environ.get("CI") and not shutil.which("docker"):
        session.error("CI=true but there is no docker CLI: run scripts/engines.sh up first")
    run_unit(session)
    session.run("pytest", "tests/engines")
    run_proofs(session)
    run_reliability(session)
    build_site(session)
    check_site(session)


@nox.session
def zensical(session: nox.Session) -> None:
    """Build mkdocs.yml with Zensical too; check it makes the same pages and claims as MkDocs."""
    install(session, "test", "zensical")
    work = Path(session.create_tmp()).resolve()
    # Zensical wants docs/ and its output inside the folder of its config: build a copy.
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    for folder in ("docs", "snippets", "overrides", "tests", "src"):  # what the records read
        shutil.copytree(ROOT / folder, project / folder)
    shutil.copy2(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    report = session.run(
        "python", "-c", "from verified_docs.document import REPORT; print(REPORT)", silent=True
    )
    report = str(report).strip()
    if (ROOT / report).is_file():
        (project / report).parent.mkdir()
        shutil.copy2(ROOT / report, project / report)
    mkdocs_site = work / "mkdocs-site"
    session.run("mkdocs", "build", "--strict", "--site-dir", str(mkdocs_site), env=QUIET_MKDOCS)
    with session.chdir(project):
        session.run("zensical", "build", "--clean", "--strict")
    with session.chdir(ROOT):
        sites = {"MKDOCS_SITE": str(mkdocs_site), "ZENSICAL_SITE": str(project / "site")}
        session.run("pytest", "tests/zensical", env=sites)
        # The Zensical build loads nothing from other hosts either.
        session.run(
            "pytest",
            "tests/site/test_requests.py",
            "-k",
            "loads_only_from_the_site",
            env={"SITE_DIR": str(project / "site")},
        )


@nox.session(name="vendor-mermaid", venv_backend="none")
def vendor_mermaid(session: nox.Session) -> None:
    """Refresh docs/javascripts/mermaid/ from the npm registry (MERMAID_VERSION)."""
    work = Path(session.create_tmp()).resolve()
    session.run(
        "npm",
        "pack",
        f"mermaid@{MERMAID_VERSION}",
        "--pack-destination",
        str(work),
        external=True,
    )
    target = ROOT / "docs" / "javascripts" / "mermaid"
    with tarfile.open(work / f"mermaid-{MERMAID_VERSION}.tgz") as archive:
        for member, name in [
            ("package/dist/mermaid.min.js", "mermaid.min.js"),
            ("package/LICENSE", "LICENSE"),
        ]:
            source = archive.extractfile(member)
            assert source is not None, member
            (target / name).write_bytes(source.read())
    session.log(f"Mermaid {MERMAID_VERSION} in {target}; update docs/javascripts/mermaid-loader.js")
