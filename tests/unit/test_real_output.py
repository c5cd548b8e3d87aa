"""Pages show what the verified run printed; the notation stays in the snippet files."""

from __future__ import annotations

import html as entities
import re

import markdown
import pytest

from verified_docs.extension import ClaimsNotVerified

from .test_extension import ENGINE, PAGE, a_record, a_report, project, write

__all__ = ["project"]  # the fixture, shared with test_extension

TRANSCRIPT = (
    "# --8<-- [start:s] proves: tag-moves\n"
    "$ docker run -d busybox sleep 9\n[ID]\n"
    "$ docker run busybox sh -c 'exit 42'\n? 42\n"
    "$ docker image ls\n...\n[..] [SIZE]\n"
    "# --8<-- [end:s]\n"
)
SCRIPT = (
    "import docker\n"
    "# --8<-- [start:sdk] proves: tag-moves\n"
    "client = docker.from_env()\n"
    "print(client.images.get('a').id)\n"
    "# > [DIGEST]\n"
    "# > [on 28.5-containerd]\n"
    "# > [DIGEST] (containerd)\n"
    "# --8<-- [end:sdk]\n"
)


def a_run(project, path, steps, engine="20.10", outcome="passed"):
    record = a_record(project, outcome=outcome)
    record["engine"] = engine
    record["evidence"] = [{"label": path, "text": "[ID]", "steps": steps}]
    record["inputs"] = {}
    return record


def step(line, command, *output, exit_code=0):
    return {"line": line, "command": command, "output": list(output), "exit_code": exit_code}


TRANSCRIPT_RUN = [
    step(2, "docker run -d busybox sleep 9", "4b5c1e0d" * 8),
    step(4, "docker run busybox sh -c 'exit 42'", exit_code=42),
    step(6, "docker image ls", "REPOSITORY   SIZE", "busybox      4.26MB"),
]


def a_page(project, body, snippet_path, snippet_text):
    path = project / snippet_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(snippet_text)
    (project / "docs" / "page.md").write_text(PAGE + "\n" + body)


def render(project, publish=False):
    md = markdown.Markdown(
        extensions=[
            "attr_list",
            "pymdownx.tabbed",
            "pymdownx.superfences",
            "verified_docs.extension",
        ],
        extension_configs={"verified_docs.extension": {"root": str(project), "publish": publish}},
    )
    return md.convert((project / "docs" / "page.md").read_text())


def text(html):
    """What a reader sees: the HTML without its tags (Pygments wraps every token)."""
    return entities.unescape(re.sub(r"<[^>]+>", "", html))


def console(section="s"):
    return f'```console\n--8<-- "snippets/t/t.console:{section}"\n```\n'


def test_a_transcript_shows_the_real_output_and_exit_status_as_a_shell_does(project):
    a_page(project, console() + "\n" + console(), "snippets/t/t.console", TRANSCRIPT)
    write(project, a_report(project, a_run(project, "snippets/t/t.console", TRANSCRIPT_RUN)))
    html = text(render(project, publish=True))
    assert "4b5c1e0d" * 8 in html
    assert "busybox      4.26MB" in html
    for notation in ("[ID]", "[SIZE]", "[..]", "...", "? 42"):
        assert notation not in html
    # The recorded status, right after its command, as `echo $?` prints it.
    assert "sh -c 'exit 42'\n$ echo $?\n42\n$ docker image ls" in html
    # Once per page: where the output comes from, and that values differ elsewhere.
    assert render(project).count('class="real-output-note"') == 1
    assert "Docker 20.10.24, classic image store" in html
    assert "IDs, digests, PIDs" in html


def test_a_python_snippet_shows_its_code_then_what_it_printed(project):
    body = '```python\n--8<-- "snippets/t/script.py:sdk"\n```\n'
    a_page(project, body, "snippets/t/script.py", SCRIPT)
    run = [step(5, "python script.py", "sha256:" + "ab" * 32)]
    write(project, a_report(project, a_run(project, "snippets/t/script.py", run)))
    html = text(render(project))
    assert "# >" not in html
    assert "[on 28.5-containerd]" not in html
    assert "client = docker.from_env()" in html
    assert "import docker" not in html  # outside the section
    assert html.index("from_env") < html.index("$ python script.py") < html.index("ab" * 32)


def test_engines_whose_output_differs_get_a_tab_each_in_python_snippets_too(project):
    body = '```python\n--8<-- "snippets/t/script.py:sdk"\n```\n'
    a_page(project, body, "snippets/t/script.py", SCRIPT)
    classic = a_run(project, "snippets/t/script.py", [step(5, "python script.py", "classic-id")])
    containerd = a_run(
        project,
        "snippets/t/script.py",
        [step(5, "python script.py", "containerd-id (containerd)")],
        engine="28.5-containerd",
    )
    report = a_report(project, classic, containerd)
    report["engines"]["28.5-containerd"] = ENGINE | {
        "version": "28.5.2",
        "image_store": "containerd",
    }
    write(project, report)
    html = text(render(project))
    assert html.index("Docker 28.5.2, containerd image store") < html.index("Docker 20.10.24")
    assert "classic-id" in html
    assert "containerd-id (containerd)" in html
    assert "tabs show other engines" in html


def test_a_block_of_several_sections_shows_their_output_in_order(project):
    snippet = TRANSCRIPT.replace("$ docker image ls", "# --8<-- [end:s]\n# --8<-- [start:t]\n$ ls")
    snippet = snippet.replace("[SIZE]\n# --8<-- [end:s]", "[SIZE]\n# --8<-- [end:t]")
    body = '```console\n--8<-- "snippets/t/t.console:s"\n--8<-- "snippets/t/t.console:t"\n```\n'
    a_page(project, body, "snippets/t/t.console", snippet)
    run = [*TRANSCRIPT_RUN[:2], step(8, "ls", "x")]
    write(project, a_report(project, a_run(project, "snippets/t/t.console", run)))
    html = text(render(project))
    assert html.index("sleep 9") < html.index("exit 42") < html.index("$ ls\nx")


@pytest.mark.parametrize("outcome", ["failed", "stale"])
def test_without_a_current_passing_run_a_block_shows_its_commands_only(project, outcome):
    a_page(project, console(), "snippets/t/t.console", TRANSCRIPT)
    run = a_run(project, "snippets/t/t.console", TRANSCRIPT_RUN)
    if outcome == "stale":
        run["inputs"] = {"snippets/t/t.console": "0" * 64}
    else:
        run["outcome"] = outcome
    write(project, a_report(project, run))
    html = render(project)
    assert 'class="real-output-missing"' in html
    html = text(html)
    assert "$ docker run -d busybox sleep 9\n$ docker run busybox" in html
    for notation in ("[ID]", "[SIZE]", "[..]", "? 42", "4b5c1e0d"):
        assert notation not in html
    with pytest.raises(ClaimsNotVerified, match=r"snippets/t/t\.console: a page shows it"):
        render(project, publish=True)


def test_a_python_snippet_without_a_run_shows_its_code_without_expected_output(project):
    body = '```python\n--8<-- "snippets/t/script.py:sdk"\n```\n'
    a_page(project, body, "snippets/t/script.py", SCRIPT)
    html = text(render(project))
    assert "client = docker.from_env()" in html
    assert "[DIGEST]" not in html
    assert "[on " not in html
