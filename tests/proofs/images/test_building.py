"""Proofs for docs/images/building.md."""

import io
import json
import os
import tarfile

import pytest
from docker.errors import BuildError

from .conftest import image_manifests

BLOCK = 4096  # the block size of the filesystem the engines keep their data on (ext4)


def added_layers(image, base) -> int:
    return len(image.attrs["RootFS"]["Layers"]) - len(base.attrs["RootFS"]["Layers"])


def instructions(snippet_dir):
    folder = snippet_dir("images/building/instructions")
    return (folder / "Dockerfile").read_text(), {
        "message.txt": (folder / "message.txt").read_bytes()
    }


def build_with(builder, build, buildkit, dockerfile=None, **options):
    """The image built by the classic builder (docker-py) or by BuildKit (the CLI)."""
    if builder == "classic":
        return build(dockerfile, **options)
    image, _ = buildkit(dockerfile, **options)
    return image


BUILDERS = pytest.mark.parametrize("builder", ["classic", "buildkit"])


# -- Which instructions add layers, and the history -----------------------------------------


@pytest.mark.claim(
    "only-filesystem-instructions-add-layers",
    "history-records-each-instruction",
    "history-format-by-builder",
)
def test_buildkit_adds_layers_only_for_filesystem_steps_too(buildkit, base, busybox, snippet_dir):
    """The SDK example shows the classic builder; BuildKit gives the same layers and entries."""
    dockerfile, files = instructions(snippet_dir)
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
    assert [e["Size"] for e in (cmd, label, env)] == [0, 0, 0]  # configuration only
    assert min(e["Size"] for e in (run, copy)) > 0
    # BuildKit records the instruction itself; the classic builder a shell form.
    assert (env["CreatedBy"], env["Comment"]) == ("ENV GREETING=hello", "buildkit.dockerfile.v0")
    assert run["CreatedBy"] == "RUN /bin/sh -c wc -c message.txt > /app/size.txt # buildkit"
    assert workdir["CreatedBy"] == "WORKDIR /app"


@pytest.mark.claim("history-size-classic-store")
@BUILDERS
def test_history_sizes_are_the_bytes_of_the_layer_files_on_the_classic_store(
    builder, build, buildkit, busybox, snippet_dir
):
    dockerfile, files = instructions(snippet_dir)
    image = build_with(builder, build, buildkit, dockerfile, files=files)
    _cmd, run, copy, workdir, _label, _env = image.history()[:6]
    assert copy["Size"] == len(files["message.txt"]) == 29
    assert run["Size"] == len(b"29 message.txt\n") == 15
    assert workdir["Size"] == 0  # a layer that holds just the empty directory /app


@pytest.mark.claim("history-size-containerd-store")
@BUILDERS
def test_history_sizes_are_disk_usage_in_blocks_on_the_containerd_store(
    builder, build, buildkit, busybox, snippet_dir
):
    dockerfile, files = instructions(snippet_dir)
    image = build_with(builder, build, buildkit, dockerfile, files=files)
    cmd, run, copy, workdir, label, env = image.history()[:6]
    assert [e["Size"] for e in (cmd, label, env)] == [0, 0, 0]
    for layer in (run, copy, workdir):
        assert layer["Size"] > 0, layer
        assert layer["Size"] % BLOCK == 0, layer
    assert copy["Size"] >= BLOCK + len(files["message.txt"])  # more than the file's 29 bytes
    # One empty directory, /app, and the layer's own top directory: a block each.
    assert workdir["Size"] == 2 * BLOCK


@pytest.mark.claim("empty-steps-and-layers-by-builder")
def test_classic_builder_drops_empty_layers_and_buildkit_keeps_them(build, buildkit, base):
    dockerfile = "FROM busybox:1.35\nWORKDIR /tmp\nRUN true\n"  # /tmp exists; `true` writes nothing
    classic = build(dockerfile)
    modern, _ = buildkit(dockerfile)
    assert added_layers(classic, base) == 0
    assert added_layers(modern, base) == 2
    assert len(classic.history()) == len(modern.history()) == len(base.history()) + 2
    # WORKDIR / needs no directory: BuildKit adds no layer for it either.
    root, _ = buildkit("FROM busybox:1.35\nWORKDIR /\n")
    assert added_layers(root, base) == 0


# -- The build cache --------------------------------------------------------------------------


def cache_context(make_context, tmp_path, snippet_dir):
    dockerfile = (snippet_dir("images/building/cache") / "Dockerfile").read_text()
    return make_context(tmp_path, dockerfile, {"message.txt": b"version 1\n"})


def fingerprint(image):
    """What a rebuild that ran no step keeps: the layers, and the time the image was made."""
    return image.attrs["RootFS"]["Layers"], image.attrs["Created"]


@pytest.mark.claim(
    "unchanged-build-reuses-cached-image",
    "timestamp-change-keeps-cache",
    "changed-file-reruns-from-that-step",
    "builders-cache-alike",
)
@BUILDERS
def test_each_builder_reuses_its_cache_until_a_copied_file_changes(
    builder, build, buildkit, make_context, tmp_path, docker_client, snippet_dir
):
    context = cache_context(make_context, tmp_path, snippet_dir)

    def rebuild():
        return build_with(builder, build, buildkit, context=context)

    def run_ids(image):
        out = docker_client.containers.run(
            image.id, ["cat", "/before-copy.id", "/after-copy.id"], remove=True
        )
        return out.decode().split()

    first = rebuild()
    again = rebuild()
    assert fingerprint(again) == fingerprint(first)
    assert run_ids(again) == run_ids(first)  # neither RUN ran again
    os.utime(context / "message.txt", (1_000_000_000, 1_000_000_000))
    touched = rebuild()
    assert fingerprint(touched) == fingerprint(first)
    (context / "message.txt").write_text("version 2\n")
    changed = rebuild()
    assert changed.id != first.id
    assert fingerprint(changed) != fingerprint(first)
    before, after = run_ids(first), run_ids(changed)
    assert before[0] == after[0]  # the RUN before the COPY came from the cache
    assert before[1] != after[1]  # the RUN after the COPY ran again


@pytest.mark.claim("unchanged-build-keeps-image-id")
@BUILDERS
def test_an_unchanged_rebuild_is_the_same_image_on_the_classic_store(
    builder, build, buildkit, make_context, tmp_path, snippet_dir
):
    context = cache_context(make_context, tmp_path, snippet_dir)
    first = build_with(builder, build, buildkit, context=context)
    os.utime(context / "message.txt", (1_000_000_000, 1_000_000_000))
    again = build_with(builder, build, buildkit, context=context)
    assert again.id == first.id


def provenance_times(docker_client, image) -> dict:
    """The build times in the provenance attestation saved with the image (`docker save`)."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as archive:

        def blob(digest):
            name = "blobs/sha256/" + digest.removeprefix("sha256:")
            return json.load(archive.extractfile(name))

        index = blob(image.id)
        (attestation,) = [
            m
            for m in index["manifests"]
            if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
        ]
        (layer,) = blob(attestation["digest"])["layers"]
        predicate_type = layer["annotations"]["in-toto.io/predicate-type"]
        assert predicate_type.startswith("https://slsa.dev/provenance")
        metadata = blob(layer["digest"])["predicate"]["metadata"]
        return {key: metadata[key] for key in ("buildStartedOn", "buildFinishedOn")}


@pytest.mark.claim("buildkit-provenance-changes-image-id")
def test_a_cached_buildkit_rebuild_gets_a_new_id_on_the_containerd_store(
    buildkit, docker_client, make_context, tmp_path, snippet_dir
):
    context = cache_context(make_context, tmp_path, snippet_dir)
    first, _ = buildkit(context=context)
    again, _ = buildkit(context=context)
    assert fingerprint(again) == fingerprint(first)  # every step came from the cache
    assert again.id != first.id
    # The ID is the digest of an image index: the same image manifest, and a new attestation.
    assert first.attrs["Descriptor"]["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert first.attrs["Descriptor"]["digest"] == first.id
    kinds = [
        {m["Kind"]: m["ID"] for m in image_manifests(docker_client, image.id)}
        for image in (first, again)
    ]
    assert kinds[0]["image"] == kinds[1]["image"]
    assert kinds[0]["attestation"] != kinds[1]["attestation"]
    times = [provenance_times(docker_client, image) for image in (first, again)]
    assert times[0]["buildStartedOn"] < times[1]["buildStartedOn"]
    # Without the default attestation, a rebuild is the same image again.
    quiet = {"BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}
    plain, _ = buildkit(context=context, env=quiet)
    plain_again, _ = buildkit(context=context, env=quiet)
    assert fingerprint(plain) == fingerprint(first)
    assert plain_again.id == plain.id


# -- Multi-stage builds -------------------------------------------------------------------------


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
