"""Proofs for docs/images/building.md."""

import os

import pytest
from docker.errors import BuildError

LAYERS = (
    "only-filesystem-instructions-add-layers",
    "history-records-each-instruction",
    "history-format-by-builder",
)


CACHE = (
    "unchanged-build-reuses-cached-image",
    "timestamp-change-keeps-cache",
    "changed-file-reruns-from-that-step",
)


# -- Where the classic builder and BuildKit differ, both proven on this engine ----------------


def added_layers(image, base) -> int:
    return len(image.attrs["RootFS"]["Layers"]) - len(base.attrs["RootFS"]["Layers"])


@pytest.fixture(scope="module")
def base(docker_client, busybox_image):
    return docker_client.images.get(busybox_image.local_ref)


@pytest.mark.claim(
    "only-filesystem-instructions-add-layers",
    "history-records-each-instruction",
    "history-format-by-builder",
)
def test_buildkit_adds_layers_only_for_filesystem_steps_too(buildkit, base, busybox, snippet_dir):
    """The transcripts above show the classic builder; BuildKit gives the same layers."""
    instructions = snippet_dir("images/building/instructions")
    dockerfile = (instructions / "Dockerfile").read_text()
    files = {"message.txt": (instructions / "message.txt").read_bytes()}
    image, _ = buildkit(dockerfile, files=files)
    # WORKDIR (creates /app), COPY and RUN; ENV, LABEL and CMD change the config only.
    assert added_layers(image, base) == 3
    config = image.attrs["Config"]
    assert "GREETING=hello" in config["Env"]
    assert config["Labels"]["org.example.stage"] == "example"
    assert (config["WorkingDir"], config["Cmd"]) == ("/app", ["cat", "/app/message.txt"])
    history = image.history()
    assert len(history) == len(base.history()) + 6  # one entry per instruction after FROM
    cmd, run, copy, workdir, label, env = history[:6]  # newest first
    assert [e["Size"] for e in (cmd, label, env, workdir)] == [0, 0, 0, 0]
    assert copy["Size"] == len(files["message.txt"])
    assert run["Size"] > 0
    # BuildKit records the instruction itself; the classic builder (transcripts) a shell form.
    assert (env["CreatedBy"], env["Comment"]) == ("ENV GREETING=hello", "buildkit.dockerfile.v0")


@pytest.mark.claim("empty-steps-and-layers-by-builder")
def test_classic_builder_drops_empty_layers_and_buildkit_keeps_them(build, buildkit, base):
    dockerfile = "FROM busybox:1.35\nWORKDIR /tmp\nRUN true\n"  # /tmp exists; `true` writes nothing
    classic = build(dockerfile)
    modern, _ = buildkit(dockerfile)
    assert added_layers(classic, base) == 0
    assert added_layers(modern, base) == 2
    assert len(classic.history()) == len(modern.history()) == len(base.history()) + 2


@pytest.mark.claim(
    "unchanged-build-reuses-cached-image",
    "timestamp-change-keeps-cache",
    "changed-file-reruns-from-that-step",
)
def test_buildkit_caches_like_the_classic_builder(
    buildkit, make_context, tmp_path, docker_client, snippet_dir
):
    dockerfile = (snippet_dir("images/building/cache") / "Dockerfile").read_text()
    context = make_context(tmp_path, dockerfile, {"message.txt": b"version 1\n"})

    def run_ids(image):
        out = docker_client.containers.run(
            image.id, ["cat", "/before-copy.id", "/after-copy.id"], remove=True
        )
        return out.decode().split()

    first, _ = buildkit(context=context)
    again, _ = buildkit(context=context)
    assert again.id == first.id
    os.utime(context / "message.txt", (1_000_000_000, 1_000_000_000))
    touched, _ = buildkit(context=context)
    assert touched.id == first.id
    (context / "message.txt").write_text("version 2\n")
    changed, _ = buildkit(context=context)
    assert changed.id != first.id
    before, after = run_ids(first), run_ids(changed)
    assert before[0] == after[0]  # the RUN before the COPY came from the cache
    assert before[1] != after[1]  # the RUN after the COPY ran again


UNUSED_STAGE_FAILS = """\
FROM busybox:1.35 AS broken
RUN echo "the unused stage is being built" && exit 3

FROM busybox:1.35
RUN echo ok > /result
"""


@pytest.mark.claim("classic-builder-builds-every-stage")
def test_classic_builder_builds_a_stage_nothing_uses(build):
    with pytest.raises(BuildError) as failed:
        build(UNUSED_STAGE_FAILS)
    log = "".join(str(entry.get("stream", "")) for entry in failed.value.build_log)
    assert "the unused stage is being built" in log


@pytest.mark.claim("buildkit-skips-unused-stages")
def test_buildkit_skips_a_stage_nothing_uses(buildkit, docker_client):
    image, log = buildkit(UNUSED_STAGE_FAILS)
    assert "the unused stage is being built" not in log
    assert docker_client.containers.run(image.id, ["cat", "/result"], remove=True) == b"ok\n"
