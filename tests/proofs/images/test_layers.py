"""Proofs for docs/images/layers.md."""

import io
import json
import posixpath
import tarfile

import pytest

from .conftest import image_manifests

COW = (
    "containers-use-image-layers-in-place",
    "reading-a-file-copies-nothing",
    "modifying-a-file-copies-it-whole",
    "deleting-a-file-records-a-whiteout",
)
CHILD = ("child-image-extends-parent-layers", "deleted-file-still-in-image-layer")


BIG_FILE = "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null\n"
MIB = 1024 * 1024
BLOCK = 4096  # the block size of the filesystem the engines keep their data on (ext4)


@pytest.fixture(scope="module")
def parent_and_child(build):
    parent = build(BIG_FILE, name="bigfile")
    parent_tag = parent.tags[0]
    child = build(f"FROM {parent_tag}\nRUN rm /big.bin\n", name="trimmed")
    return parent, child


def layer_members(image, index: int) -> list[str]:
    """Names in the tar of the image's layer number `index`, via `docker save` (an uncompressed
    tar on the classic store, gzip-compressed on the containerd store: tarfile reads both)."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        member = archive.getmember(manifest[0]["Layers"][index])
        while member.issym():  # a layer saved once and linked from another image's entry
            folder = posixpath.dirname(member.name)
            member = archive.getmember(posixpath.normpath(posixpath.join(folder, member.linkname)))
        with tarfile.open(fileobj=archive.extractfile(member)) as layer:
            return layer.getnames()


@pytest.mark.claim(
    "deleted-file-still-in-image-layer",
    "deleting-a-file-records-a-whiteout",
    "image-is-layers-and-config",
)
def test_deleting_in_a_later_layer_adds_a_whiteout_and_keeps_the_bytes(parent_and_child, busybox):
    parent, child = parent_and_child
    parent_layers = parent.attrs["RootFS"]["Layers"]
    assert child.attrs["RootFS"]["Layers"][:-1] == parent_layers
    assert child.attrs["Size"] >= parent.attrs["Size"]  # no smaller than its parent
    # The child's own layer holds only the whiteout that hides /big.bin (OCI layer format).
    assert layer_members(child, -1) == [".wh.big.bin"]
    assert "big.bin" in layer_members(child, -2)


@pytest.mark.claim("same-step-delete-keeps-file-out")
def test_a_file_deleted_in_the_same_step_adds_nothing(build, parent_and_child, busybox):
    image = build(
        "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null "
        "&& rm /big.bin\n"
    )
    kept, _ = parent_and_child  # the same file, not deleted
    # The step's layer, as `docker history` measures it (bytes of files, or disk blocks).
    assert image.history()[0]["Size"] < 64 * 1024
    assert kept.history()[0]["Size"] >= 5 * MIB


@pytest.fixture
def idle_container(docker_client, parent_and_child):
    """A container made from the 5 MiB image that never ran."""
    parent, _ = parent_and_child
    container = docker_client.containers.create(parent.id)
    try:
        yield container
    finally:
        container.remove(force=True)


def container_sizes(docker_client, container) -> tuple[int, int]:
    """`docker container inspect --size`: the writable layer's and the whole filesystem's."""
    api = docker_client.api
    url = api._url("/containers/{0}/json", container.id)
    sizes = api._result(api._get(url, params={"size": 1}), json=True)
    return sizes["SizeRw"], sizes["SizeRootFs"]


@pytest.mark.claim("container-sizes-containerd-store")
def test_container_sizes_are_disk_usage_on_the_containerd_store(
    docker_client, parent_and_child, idle_container
):
    parent, _ = parent_and_child
    writable, whole = container_sizes(docker_client, idle_container)
    assert writable == BLOCK  # the empty writable layer's own directory
    (unpacked,) = [
        m["ImageData"]["Size"]["Unpacked"]
        for m in image_manifests(docker_client, parent.id)
        if m["Kind"] == "image"
    ]
    # The whole filesystem: the image's unpacked layers, plus the writable layer and the small
    # layer with the files Docker adds to every container (/etc/hosts, ...).
    assert unpacked <= whole - writable < unpacked + 64 * 1024
    # The image's own size counts its layers compressed: 5 MiB of zeros shrink to little.
    assert parent.attrs["Size"] < whole - 5 * MIB


def shared_sizes(docker_client, *images) -> dict[str, dict]:
    """`docker system df -v`'s numbers for these images only (GET /images/json?shared-size=1,
    API 1.42 and later: not on Engine 20.10)."""
    api = docker_client.api
    filters = json.dumps({"reference": [image.tags[0] for image in images]})
    response = api._get(api._url("/images/json"), params={"shared-size": 1, "filters": filters})
    return {row["Id"]: row for row in api._result(response, json=True)}


@pytest.mark.claim("shared-layers-stored-once")
def test_both_images_count_the_parents_layers_as_shared(docker_client, parent_and_child):
    parent, child = parent_and_child
    rows = {row["Id"]: row for row in docker_client.df()["Images"]}  # `docker system df -v`
    for image in (parent, child):
        assert rows[image.id]["SharedSize"] >= 5 * MIB


@pytest.mark.claim("shared-size-containerd-store")
def test_only_unpacked_layers_count_as_shared_on_the_containerd_store(
    docker_client, parent_and_child
):
    parent, child = parent_and_child
    rows = shared_sizes(docker_client, parent, child)
    for image in (parent, child):
        (manifest,) = [m for m in image_manifests(docker_client, image.id) if m["Kind"] == "image"]
        content, unpacked = manifest["Size"]["Content"], manifest["ImageData"]["Size"]["Unpacked"]
        row = rows[image.id]
        assert row["Size"] == content + unpacked
        assert row["SharedSize"] <= unpacked
        own = row["Size"] - row["SharedSize"]
        # Its own: all of its compressed content (about 1.1 MB), and none of the rest but
        # the unpacked layers no other image has (the child's whiteout layer).
        assert content <= own <= content + 64 * 1024
        assert 1_000_000 < content < 1_200_000
