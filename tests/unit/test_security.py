"""Snippets readers copy are safe, and CI runs with least privilege."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from verified_docs.document import Guide

RULES: dict[str, re.Pattern[str]] = {
    "privileged": re.compile(r"--privileged\b|privileged\s*=\s*True"),
    "docker-socket": re.compile(r"docker\.sock"),
    "host-namespace": re.compile(
        r"--(?:network|net|pid|ipc|uts|userns)[= ]host\b"
        r"|(?:network|pid|ipc|uts|userns)_mode\s*=\s*[\"']host[\"']"
    ),
    # -p/--publish must name 127.0.0.1; -P publishes everything on all interfaces.
    "all-interfaces": re.compile(
        r"docker (?:container )?(?:run|create)\b.*"
        r"(?:\s(?:-p|--publish)[= ](?!127\.0\.0\.1:)\S+|\s(?:-P|--publish-all)\b)"
        r"|ports\s*=\s*\{[^}]*:\s*+(?!\(\s*[\"']127\.0\.0\.1)[^}]+\}"
    ),
}
ALLOWLIST = Path(__file__).with_name("security_allowlist.toml")


def allowed() -> dict[tuple[str, str], str]:
    entries = tomllib.loads(ALLOWLIST.read_text()).get("allow", [])
    return {(entry["snippet"], entry["rule"]): entry["reason"] for entry in entries}


def findings(path: Path) -> list[tuple[str, int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for rule, pattern in RULES.items():
            if pattern.search(line):
                found.append((rule, number, line.strip()))
    return found


def test_snippets_are_not_privileged_and_publish_on_loopback_only(guide: Guide):
    refused = [
        f"{relative}:{line}: {rule}: {text}"
        for relative in guide.snippets
        if not relative.endswith(".txt")
        for rule, line, text in findings(guide.root / relative)
        if (relative, rule) not in allowed()
    ]
    assert not refused, "unsafe for readers (or add to tests/security_allowlist.toml):\n" + (
        "\n".join(refused)
    )


def test_allowed_exceptions_are_used_and_show_their_reason_on_the_page(guide: Guide):
    problems = []
    for (snippet, rule), reason in sorted(allowed().items()):
        if not any(found[0] == rule for found in findings(guide.root / snippet)):
            problems.append(f"{snippet}: nothing for rule {rule} to allow; drop the entry")
        pages = guide.pages_including(snippet)
        if not pages:
            problems.append(f"{snippet} is on no page")
        problems += [
            f"docs/{page} must show the reason for {snippet}: {reason}"
            for page in pages
            if reason not in "\n".join(guide.pages[page].lines)
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("$ docker run --privileged busybox:1.35 true", "privileged"),
        ("$ docker run -v /var/run/docker.sock:/s busybox:1.35 true", "docker-socket"),
        ("$ docker run --network host busybox:1.35 true", "host-namespace"),
        ("$ docker run --pid=host busybox:1.35 true", "host-namespace"),
        ('box = client.containers.run(image, network_mode="host")', "host-namespace"),
        ("$ docker run -d -p 8080:80 web", "all-interfaces"),
        ("$ docker run -d -p 0.0.0.0:8080:80 web", "all-interfaces"),
        ("$ docker run -d -P web", "all-interfaces"),
        ('client.containers.run(image, ports={"80/tcp": 8080})', "all-interfaces"),
    ],
)
def test_the_rules_catch_what_they_name(tmp_path, line, rule):
    path = tmp_path / "snippet"
    path.write_text(line + "\n")
    assert rule in {found[0] for found in findings(path)}


@pytest.mark.parametrize(
    "line",
    [
        "$ docker run -d -p 127.0.0.1:8080:80 web",
        "$ docker run -d -p 127.0.0.1::80 web",
        "$ docker run --network container:web busybox:1.35 true",
        'client.containers.run(image, ports={"80/tcp": ("127.0.0.1", None)})',
        "$ docker ps -a",
    ],
)
def test_the_rules_accept_safe_lines(tmp_path, line):
    path = tmp_path / "snippet"
    path.write_text(line + "\n")
    assert findings(path) == []


def test_workflows_grant_least_privilege_and_pin_actions(guide: Guide):
    workflows = sorted((guide.root / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for workflow in workflows:
        check_workflow(yaml.safe_load(workflow.read_text()))


def check_workflow(spec: dict) -> None:
    assert spec.get("permissions") == {}, "default permissions must be none: `permissions: {}`"
    for name, job in spec["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its own permissions"
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), (
                    f"job {name}: {uses} must be pinned by commit SHA"
                )
            if uses and uses.startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, (
                    f"job {name}: checkout must not persist credentials"
                )
