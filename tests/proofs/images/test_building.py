"""Proofs for docs/images/building.md."""

import gzip
import io
import json
import os
import tarfile
import uuid

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


def steps_of(dockerfile: str) -> list[str]:
    """The instructions after FROM, in order."""
    lines = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]
    return [line for line in lines if not line.startswith("FROM ")]


def build_with(builder, build, buildkit, dockerfile=None, **options):
    """The image built by the classic builder (docker-py) or by BuildKit (the CLI)."""
    if builder == "classic":
        return build(dockerfile, **options)
    image, _ = buildkit(dockerfile, **options)
    return image


def made_by(image) -> str:
    """Which builder made the image: BuildKit comments every history entry it writes."""
    return "buildkit" if image.history()[0]["Comment"] == "buildkit.dockerfile.v0" else "classic"


def saved(image) -> tuple[dict, list[dict[str, tarfile.TarInfo]]]:
    """The image's configuration and what each of its layers holds (path -> entry), from
    `docker save`."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as archive:
        (entry,) = json.load(archive.extractfile("manifest.json"))
        config = json.load(archive.extractfile(entry["Config"]))
        layers = []
        for name in entry["Layers"]:
            data = archive.extractfile(name).read()
            if data[:2] == b"\x1f\x8b":  # the containerd store saves layers gzip-compressed
                data = gzip.decompress(data)
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                members = layer.getmembers()
            layers.append({m.name.removeprefix("./").rstrip("/"): m for m in members})
    return config, layers


def blocks(layer: dict[str, tarfile.TarInfo]) -> int:
    """The blocks a layer takes unpacked: one for its top directory, one for each directory in
    it, and each file's size rounded up to whole blocks."""
    return 1 + sum(1 if m.isdir() else -(-m.size // BLOCK) for m in layer.values())


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
    # One entry per instruction after FROM, counted in the Dockerfile itself.
    assert len(history) == len(base.history()) + len(steps_of(dockerfile))
    cmd, run, copy, workdir, label, env = history[:6]  # newest first
    assert [e["Size"] for e in (cmd, label, env)] == [0, 0, 0]  # configuration only
    assert min(e["Size"] for e in (run, copy)) > 0
    # BuildKit records the instruction itself; the classic builder a shell form.
    assert (env["CreatedBy"], env["Comment"]) == ("ENV GREETING=hello", "buildkit.dockerfile.v0")
    assert run["CreatedBy"] == "RUN /bin/sh -c wc -c message.txt > /app/size.txt # buildkit"
    assert workdir["CreatedBy"] == "WORKDIR /app"


# Each instruction the page names, with the path its layer holds, or None where the page says
# it changes only the configuration.
STEPS = (
    ("ENV GREETING=hello", None),
    ("LABEL org.example.stage=example", None),
    ("EXPOSE 8080", None),
    ("WORKDIR /app", "app"),
    ("COPY message.txt /app/message.txt", "app/message.txt"),
    ("ADD message.txt /app/added.txt", "app/added.txt"),
    ("RUN wc -c message.txt > /app/size.txt", "app/size.txt"),
    ("USER 65534", None),
    ('ENTRYPOINT ["cat"]', None),
    ('CMD ["/app/message.txt"]', None),
)


@pytest.mark.claim("only-filesystem-instructions-add-layers")
@BUILDERS
def test_only_the_filesystem_instructions_add_a_layer(builder, build, buildkit, base, snippet_dir):
    """The image's configuration marks each history entry that made no layer (`empty_layer`);
    each layer that was made holds the file of its step."""
    _, files = instructions(snippet_dir)
    dockerfile = "FROM busybox:1.35\n" + "".join(f"{step}\n" for step, _ in STEPS)
    image = build_with(builder, build, buildkit, dockerfile, files=files)
    assert made_by(image) == builder
    config, layers = saved(image)
    entries = config["history"][-len(STEPS) :]
    made_layer = [not entry.get("empty_layer", False) for entry in entries]
    assert made_layer == [path is not None for _, path in STEPS], entries
    paths = [path for _, path in STEPS if path is not None]
    new_layers = [set(layer) for layer in layers[len(base.attrs["RootFS"]["Layers"]) :]]
    assert len(new_layers) == len(paths)
    for holds, path in zip(new_layers, paths, strict=True):
        assert path in holds, holds
        # Besides /app: the directories BuildKit's RUN mounts over (the stand-in lacks them).
        assert holds - {"app", path} <= {"dev", "etc", "proc", "sys"}, holds


@pytest.mark.claim("history-format-by-builder")
@pytest.mark.parametrize("example", ["page", "every-instruction"])
def test_each_builder_records_the_steps_in_its_own_format(example, build, buildkit, snippet_dir):
    """The page's Dockerfile, and one with every instruction the page names (ADD among them)."""
    dockerfile, files = instructions(snippet_dir)
    if example == "every-instruction":
        dockerfile = "FROM busybox:1.35\n" + "".join(f"{step}\n" for step, _ in STEPS)
    steps = steps_of(dockerfile)
    classic = build(dockerfile, files=files)
    modern, _ = buildkit(dockerfile, files=files)
    # The same number of entries, in the same order (oldest first here).
    assert len(classic.history()) == len(modern.history())
    old = classic.history()[: len(steps)][::-1]
    new = modern.history()[: len(steps)][::-1]
    for step, by_classic, by_buildkit in zip(steps, old, new, strict=True):
        keyword = step.split()[0]
        # The classic builder: a shell command; `#(nop)` and the instruction where none ran.
        created = by_classic["CreatedBy"]
        assert created.startswith("/bin/sh -c "), by_classic
        if keyword == "RUN":
            assert "#(nop)" not in created, created
            assert created.endswith(step.removeprefix("RUN ")), created
        else:
            assert created.split("#(nop)", 1)[1].split()[0] == keyword, created
        assert not by_classic["Comment"], by_classic
        # BuildKit: the instruction itself, `# buildkit` where a step ran or copied something.
        created = by_buildkit["CreatedBy"]
        assert created.split()[0] == keyword, by_buildkit
        assert created.endswith(" # buildkit") == (keyword in ("RUN", "COPY", "ADD")), created
        assert by_buildkit["Comment"] == "buildkit.dockerfile.v0", by_buildkit


@pytest.mark.claim("history-records-each-instruction")
def test_only_the_classic_builder_records_onbuild_in_the_history(build, buildkit, base):
    dockerfile = "FROM busybox:1.35\nONBUILD RUN true\n"
    classic = build(dockerfile)
    modern, _ = buildkit(dockerfile)
    assert len(classic.history()) == len(base.history()) + 1
    assert classic.history()[0]["CreatedBy"].endswith("ONBUILD RUN true"), classic.history()[0]
    assert len(modern.history()) == len(base.history())  # BuildKit: no entry
    # Both keep the trigger, in the configuration.
    assert classic.attrs["Config"]["OnBuild"] == modern.attrs["Config"]["OnBuild"] == ["RUN true"]


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
    _, layers = saved(image)
    for entry, layer in zip((workdir, copy, run), layers[-3:], strict=True):
        assert entry["Size"] == blocks(layer) * BLOCK, (entry, sorted(layer))
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
    assert made_by(first) == builder
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


@pytest.mark.claim("timestamp-change-keeps-cache")
@BUILDERS
def test_the_cache_compares_the_mode_and_with_the_sdk_the_owner(
    builder, build, buildkit, make_context, tmp_path, snippet_dir
):
    """As root: the test gives message.txt another owner."""
    context = cache_context(make_context, tmp_path, snippet_dir)
    message = context / "message.txt"
    os.chmod(message, 0o644)

    def rebuild():
        return fingerprint(build_with(builder, build, buildkit, context=context))

    first = rebuild()
    os.chmod(message, 0o600)
    assert rebuild() != first  # the COPY, and the steps after it, ran again
    os.chmod(message, 0o644)
    assert rebuild() == first  # the first build's mode again: all from the cache
    os.chown(message, 1000, 1000)
    # The SDK's build context records each file's owner; BuildKit's cache doesn't compare it.
    assert (rebuild() != first) == (builder == "classic")


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


TOOL_DIRECTORIES = {"usr", "usr/local", "usr/local/bin"}


@pytest.mark.claim("multi-stage-final-image-has-only-copied-files")
@BUILDERS
def test_a_multi_stage_image_holds_only_what_its_final_stage_copies(
    builder, build, buildkit, base, engine, snippet_dir
):
    dockerfile = (snippet_dir("images/building/multi-stage") / "Dockerfile").read_text()
    image = build_with(builder, build, buildkit, dockerfile)
    assert made_by(image) == builder
    assert added_layers(image, base) == 1
    _, layers = saved(image)
    # The one new layer: the copied tool and the directories above it, nothing else.
    assert set(layers[-1]) == TOOL_DIRECTORIES | {"usr/local/bin/tool"}, sorted(layers[-1])
    tool = layers[-1]["usr/local/bin/tool"].size
    added = image.attrs["Size"] - base.attrs["Size"]
    if engine["image_store"] == "classic":
        assert added == tool == 37
    else:  # the compressed layer, its manifest and configuration: measured 1.5 KB
        assert tool < added < 2048, added


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
    # In order: the first stage failed, so the final stage's step never started.
    assert "RUN echo ok" not in log


STAGE_AFTER_TARGET_FAILS = """\
FROM busybox:1.35 AS wanted
RUN echo ok > /result

FROM busybox:1.35 AS later
RUN echo "the stage after the target is being built" && exit 3
"""


@pytest.mark.claim("classic-builder-builds-every-stage")
def test_classic_builder_builds_no_stage_after_the_target(docker_client, make_context, tmp_path):
    context = make_context(tmp_path, STAGE_AFTER_TARGET_FAILS)
    tag = f"images-test-{uuid.uuid4().hex[:8]}:latest"
    image, log = docker_client.images.build(path=str(context), tag=tag, rm=True, target="wanted")
    try:
        text = "".join(str(entry.get("stream", "")) for entry in log)
        assert "the stage after the target is being built" not in text
        assert docker_client.containers.run(image.id, ["cat", "/result"], remove=True) == b"ok\n"
    finally:
        docker_client.images.remove(image.id, force=True)


@pytest.mark.claim("buildkit-skips-unused-stages")
def test_buildkit_skips_a_stage_nothing_uses(buildkit, docker_client):
    image, log = buildkit(UNUSED_STAGE_FAILS)
    assert "the unused stage is being built" not in log
    assert docker_client.containers.run(image.id, ["cat", "/result"], remove=True) == b"ok\n"
