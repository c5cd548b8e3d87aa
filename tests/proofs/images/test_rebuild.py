"""Proofs for docs/images/rebuild.md."""

import contextlib
import json
import os
import shutil
import subprocess
import urllib.request
import uuid

import pytest
from docker.errors import ImageNotFound, NotFound

from .conftest import BUILD_SECONDS, write_context

ATTESTATION = "attestation-manifest"  # BuildKit's vnd.docker.reference.type annotation
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def build_context(tmp_path, busybox, snippet_dir):
    for name in ("Dockerfile", "message.txt"):
        shutil.copy2(snippet_dir("images/rebuild") / name, tmp_path / name)
    dockerfile = tmp_path / "Dockerfile"
    # A label of its own right after FROM: no build step, and so no cached intermediate image,
    # is shared with the snippets' identical builds that may run meanwhile.
    recipe = dockerfile.read_text().replace("busybox:1.35", busybox)
    from_line, rest = recipe.split("\n", 1)
    dockerfile.write_text(f"{from_line}\nLABEL test={uuid.uuid4().hex}\n{rest}")
    return tmp_path


def buildkit_build(docker_client, buildkit, context, tag, *options):
    """`docker build` with BuildKit under a tag of the test's choosing (the `buildkit` fixture
    picks its own); the image is removed with the fixture's."""
    done = subprocess.run(
        [*buildkit.command, "--progress=plain", *options, "--tag", tag, str(context)],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        timeout=BUILD_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    image = docker_client.images.get(tag)
    buildkit.built.append(image.id)
    return image


def listed_ids(docker_client):
    """What `docker image ls --all` lists (one call: images.list would inspect each image, and
    fail when another run removes one meanwhile)."""
    return set(docker_client.api.images(all=True, quiet=True))


@pytest.mark.claim(
    "rebuild-gives-new-image-id", "tag-moves-id-does-not", "classic-builder-keeps-old-image"
)
def test_rebuilding_after_a_change_moves_the_tag_and_keeps_the_old_image(
    docker_client, build_context
):
    """The classic builder (docker-py's images.build), on either image store."""
    tag = f"greeter-{uuid.uuid4().hex[:8]}:latest"
    first, _ = docker_client.images.build(path=str(build_context), tag=tag, rm=True)
    built = [first.id]
    container = docker_client.containers.create(tag)
    try:
        (build_context / "message.txt").write_text("version 2\n")
        second, _ = docker_client.images.build(path=str(build_context), tag=tag, rm=True)
        built.append(second.id)
        assert second.id != first.id
        assert docker_client.images.get(tag).id == second.id
        first.reload()
        assert first.tags == []
        assert first.id in listed_ids(docker_client)
        # A container created from the tag before the rebuild still uses the old image.
        assert container.attrs["Image"] == first.id
        out = docker_client.containers.run(first.id, remove=True)
        assert out == b"version 1\n"
    finally:
        container.remove(force=True)
        for image_id in built:  # by ID: every tag goes with it
            with contextlib.suppress(NotFound):
                docker_client.images.remove(image_id, force=True)


GREETING = """\
FROM busybox:1.35
LABEL test={label}
ARG GREETING=hi
RUN echo "$GREETING" > /greeting.txt
CMD ["cat", "/greeting.txt"]
"""
FIRST, OTHER = "hello", "bonjour"  # the values of the build argument


@pytest.mark.claim("rebuild-gives-new-image-id")
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_a_new_build_argument_or_instruction_gives_a_new_image(
    builder, docker_client, build, buildkit, tmp_path, busybox
):
    """The classic builder (docker-py) or BuildKit (the CLI); each build under its own tag, so
    that no rebuild takes a tag from an earlier image. The fixtures remove what they built."""
    dockerfile = GREETING.format(label=uuid.uuid4().hex)

    def build_with_argument(greeting):
        if builder == "classic":
            return build(dockerfile, buildargs={"GREETING": greeting}, name="greeting")
        write_context(tmp_path, dockerfile, busybox)
        tag = f"greeting-{uuid.uuid4().hex[:8]}:latest"
        return buildkit_build(
            docker_client, buildkit, tmp_path, tag, "--build-arg", f"GREETING={greeting}"
        )

    def layers(image):
        return image.attrs["RootFS"]["Layers"]

    def greets(image_id):
        return docker_client.containers.run(image_id, remove=True).decode()

    first = build_with_argument(FIRST)
    assert layers(build_with_argument(FIRST)) == layers(
        first
    )  # the same argument: all from the cache
    other = build_with_argument(OTHER)
    assert other.id != first.id
    assert layers(other) != layers(first)
    assert greets(other.id) == f"{OTHER}\n"
    # An instruction changed, with the first argument again.
    dockerfile = dockerfile.replace('echo "$GREETING"', 'echo "$GREETING, world"')
    changed = build_with_argument(FIRST)
    assert changed.id not in (first.id, other.id)
    assert layers(changed) != layers(first)
    assert greets(changed.id) == f"{FIRST}, world\n"
    # The first image is not modified: its ID names the same layers, and it still greets.
    assert layers(docker_client.images.get(first.id)) == layers(first)
    assert greets(first.id) == f"{FIRST}\n"


def rebuild_with_buildkit(docker_client, buildkit, build_context):
    """Build version 1 and a container from it, then version 2 under the same tag."""
    tag = f"greeter-{uuid.uuid4().hex[:8]}:latest"
    first = buildkit_build(docker_client, buildkit, build_context, tag)
    container = docker_client.containers.create(tag)
    (build_context / "message.txt").write_text("version 2\n")
    second = buildkit_build(docker_client, buildkit, build_context, tag)
    assert second.id != first.id
    assert docker_client.images.get(tag).id == second.id
    return first, container


@pytest.mark.claim("old-image-remains-after-rebuild")
def test_on_the_classic_store_a_buildkit_rebuild_keeps_the_old_image(
    docker_client, buildkit, build_context
):
    first, container = rebuild_with_buildkit(docker_client, buildkit, build_context)
    try:
        first.reload()
        assert first.tags == []
        assert first.id in listed_ids(docker_client)
        assert docker_client.containers.run(first.id, remove=True) == b"version 1\n"
    finally:
        container.remove(force=True)


@pytest.mark.claim("containerd-buildkit-rebuild-drops-old-image")
def test_on_the_containerd_store_a_buildkit_rebuild_drops_the_old_image(
    docker_client, buildkit, build_context
):
    first, container = rebuild_with_buildkit(docker_client, buildkit, build_context)
    try:
        with pytest.raises(ImageNotFound):
            docker_client.images.get(first.id)
        assert first.id not in listed_ids(docker_client)
        # A container created from the old image still has what it needs, and starts.
        container.start()
        assert container.wait(timeout=30)["StatusCode"] == 0
        assert container.logs() == b"version 1\n"
    finally:
        container.remove(force=True)


@pytest.mark.claim("metadata-change-gives-new-image-id")
def test_a_label_alone_gives_a_new_image_with_the_same_layers(build):
    """With the classic builder, which gives an unchanged rebuild the same ID on both stores:
    the label, and nothing else, makes the new image."""
    dockerfile = f"FROM busybox:1.35\nRUN echo {uuid.uuid4().hex} > /id.txt\n"
    first, again = build(dockerfile), build(dockerfile)
    assert again.id == first.id
    labelled = build(f"{dockerfile}LABEL org.example.reviewed=yes\n")
    assert labelled.id != first.id
    assert labelled.attrs["RootFS"]["Layers"] == first.attrs["RootFS"]["Layers"]
    assert labelled.attrs["Config"]["Labels"]["org.example.reviewed"] == "yes"


def fetch_json(registry, path, accept):
    request = urllib.request.Request(registry.url(path), headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def provenance(docker_client, registry, image, name):
    """Push the image; return its index and the build metadata its provenance records."""
    repository = f"{registry.address}/{name}"
    image.tag(repository, "1")
    try:
        events = list(docker_client.images.push(repository, tag="1", stream=True, decode=True))
        assert not [event for event in events if "error" in event], events
        index = fetch_json(registry, f"/v2/{name}/manifests/1", OCI_INDEX)
        attestation = next(
            entry
            for entry in index["manifests"]
            if entry.get("annotations", {}).get("vnd.docker.reference.type") == ATTESTATION
        )
        accept = "application/vnd.oci.image.manifest.v1+json"
        manifest = fetch_json(registry, f"/v2/{name}/manifests/{attestation['digest']}", accept)
        statement = fetch_json(
            registry, f"/v2/{name}/blobs/{manifest['layers'][0]['digest']}", "*/*"
        )
        return index, statement["predicate"]["metadata"]
    finally:
        docker_client.images.remove(f"{repository}:1")


@pytest.mark.claim("unchanged-rebuild-image-id-depends-on-the-store")
@pytest.mark.branches("classic store", "containerd store")
def test_an_unchanged_buildkit_rebuild_keeps_its_id_only_on_the_classic_store(
    docker_client, engine, branch, buildkit, build_context, request
):
    tags = [f"greeter-{uuid.uuid4().hex[:8]}:{n}" for n in (1, 2)]
    first = buildkit_build(docker_client, buildkit, build_context, tags[0])
    again = buildkit_build(docker_client, buildkit, build_context, tags[1])
    if engine["image_store"] == "classic":
        branch("classic store")
        assert again.id == first.id
        return
    branch("containerd store")
    assert again.id != first.id
    # The index lists the same image manifest; only the provenance attestation differs, as it
    # records each build's own ID and times.
    registry = request.getfixturevalue("registry")
    (index1, meta1), (index2, meta2) = (
        provenance(docker_client, registry, image, f"docs/unchanged-{n}")
        for n, image in ((1, first), (2, again))
    )
    assert index1["manifests"][0]["digest"] == index2["manifests"][0]["digest"]
    assert index1["manifests"][1]["digest"] != index2["manifests"][1]["digest"]
    assert meta1["buildInvocationID"] != meta2["buildInvocationID"]
    assert meta1["buildStartedOn"] != meta2["buildStartedOn"]
    # Without the attestation, an unchanged rebuild keeps its ID here too.
    plain = [
        buildkit_build(docker_client, buildkit, build_context, f"{t}-plain", "--provenance=false")
        for t in tags
    ]
    assert plain[0].id == plain[1].id
