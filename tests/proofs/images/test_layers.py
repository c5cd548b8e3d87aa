"""Proofs for docs/images/layers.md."""

import io
import json
import posixpath
import tarfile
import time

import pytest
from docker.errors import APIError

from .conftest import image_manifests

BIG_FILE = "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null\n"
MIB = 1024 * 1024
BLOCK = 4096  # the block size of the filesystem the engines keep their data on (ext4)


@pytest.fixture(scope="module")
def parent_and_child(build):
    parent = build(BIG_FILE, name="bigfile")
    parent_tag = parent.tags[0]
    child = build(f"FROM {parent_tag}\nRUN rm /big.bin\n", name="trimmed")
    return parent, child


def saved_layers(image) -> list[dict[str, int]]:
    """Each layer's files (name -> size), oldest first, from `docker save` (an uncompressed tar
    on the classic store, gzip-compressed on the containerd store: tarfile reads both)."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        layers = []
        for name in manifest[0]["Layers"]:
            member = archive.getmember(name)
            while member.issym():  # a layer saved once and linked from another image's entry
                folder = posixpath.dirname(member.name)
                target = posixpath.normpath(posixpath.join(folder, member.linkname))
                member = archive.getmember(target)
            with tarfile.open(fileobj=archive.extractfile(member)) as layer:
                layers.append({entry.name: entry.size for entry in layer.getmembers()})
        return layers


@pytest.mark.claim(
    "deleted-file-still-in-image-layer",
    "deleting-a-file-records-a-whiteout",
    "image-is-layers-and-config",
)
@pytest.mark.branches("classic store", "containerd store")
def test_deleting_in_a_later_layer_adds_a_whiteout_and_keeps_the_bytes(
    parent_and_child, engine, branch, evidence
):
    parent, child = parent_and_child
    parent_layers = parent.attrs["RootFS"]["Layers"]
    # Oldest first: the child's list is its parent's, then its own layer on top.
    assert child.attrs["RootFS"]["Layers"][:-1] == parent_layers
    layers = saved_layers(child)
    assert len(layers) == len(parent_layers) + 1
    # The child's own layer holds only the whiteout that hides /big.bin (OCI layer format),
    # and the parent's layer below it still holds the whole file.
    assert list(layers[-1]) == [".wh.big.bin"]
    assert layers[-2]["big.bin"] == 5 * MIB
    difference = child.attrs["Size"] - parent.attrs["Size"]
    evidence("child's size minus its parent's (bytes)", str(difference))
    if engine["image_store"] == "classic":
        branch("classic store")
        assert difference == 0
    else:
        branch("containerd store")
        # Its whiteout layer compressed, and its own manifest and configuration.
        assert 0 < difference < 1000


@pytest.mark.claim("same-step-delete-keeps-file-out")
def test_a_file_deleted_in_the_same_step_adds_nothing(build, parent_and_child, base):
    image = build(
        "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null "
        "&& rm /big.bin\n"
    )
    kept, _ = parent_and_child  # the same file, not deleted
    # No layer of the image has the file; the image that kept it has it in its top layer.
    assert not [layer for layer in saved_layers(image) if "big.bin" in layer]
    assert saved_layers(kept)[-1]["big.bin"] == 5 * MIB
    # The steps above the base, as `docker history` measures them (bytes of files, or disk
    # blocks): next to nothing, where the kept file's step adds 5 MiB.
    own_steps = len(image.history()) - len(base.history())
    assert own_steps == 1
    assert sum(step["Size"] for step in image.history()[:own_steps]) < 64 * 1024
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


@pytest.fixture
def reader(docker_client, parent_and_child):
    """A container that read the 5 MiB file, and exited."""
    parent, _ = parent_and_child
    container = docker_client.containers.create(parent.id, ["sh", "-c", "cat /big.bin > /dev/null"])
    try:
        container.start()
        assert container.wait(timeout=60)["StatusCode"] == 0
        yield container
    finally:
        container.remove(force=True)


def root_mount(docker_client, image_id: str) -> tuple[list[str], str]:
    """A new container's root filesystem, an overlay mount as /proc/self/mountinfo shows it in
    the container: its lower directories (top first) and its upper (writable) directory."""
    line = docker_client.containers.run(
        image_id, ["grep", " / / ", "/proc/self/mountinfo"], remove=True
    ).decode()
    fs_type, _, options = line.split(" - ", 1)[1].split()
    assert fs_type == "overlay"
    values = dict(option.split("=", 1) for option in options.split(",") if "=" in option)
    return values["lowerdir"].split(":"), values["upperdir"]


@pytest.mark.claim("containers-use-image-layers-in-place")
def test_containers_mount_their_images_layers_in_place(
    docker_client, build, parent_and_child, idle_container, evidence
):
    parent, _ = parent_and_child
    layers = len(parent.attrs["RootFS"]["Layers"])
    images = (parent.id, parent.id)  # two containers of one image
    (lower1, upper1), (lower2, upper2) = (root_mount(docker_client, i) for i in images)
    evidence("two containers' lower directories, top first", f"{lower1}\n{lower2}")
    # Each container: its own writable directory, its own small layer of the files Docker
    # adds (/etc/hosts, ...), then the image's layers (on the containerd store, with what the
    # classic builder left in its snapshots): the same directories for both.
    assert upper1 != upper2
    assert lower1[0] != lower2[0]
    assert len(lower1) > layers
    assert lower1[1:] == lower2[1:]
    # A new container's writable layer holds no change.
    assert not idle_container.diff()


@pytest.mark.claim("child-image-extends-parent-layers", "shared-layers-stored-once")
def test_a_child_image_uses_its_parents_layer_directories(
    docker_client, parent_and_child, evidence
):
    parent, child = parent_and_child
    lower_parent, _ = root_mount(docker_client, parent.id)
    lower_child, _ = root_mount(docker_client, child.id)
    evidence(
        "lower directories, top first, of a container of each image",
        f"bigfile: {lower_parent}\ntrimmed: {lower_child}",
    )
    # Below a container's own small layer of the files Docker adds (/etc/hosts, ...), come its
    # image's layers (on the containerd store, with what the classic builder left in its
    # snapshots). The child's stack ends in the very directories of the parent's: the
    # parent's layers, stored once on disk, not copied. Above them, the child's own layer.
    parents = lower_parent[1:]
    assert lower_child[-len(parents) :] == parents
    own = lower_child[1 : -len(parents)]
    assert own
    assert not set(own) & set(lower_parent)


@pytest.mark.claim("reading-a-file-copies-nothing")
def test_reading_a_file_leaves_the_writable_layer_as_it_was(docker_client, idle_container, reader):
    assert not reader.diff()
    assert container_sizes(docker_client, reader) == container_sizes(docker_client, idle_container)


@pytest.mark.claim("container-sizes-classic-store")
def test_container_sizes_are_file_bytes_on_the_classic_store(
    docker_client, parent_and_child, idle_container, reader, evidence
):
    parent, _ = parent_and_child
    for name, container in (("idle", idle_container), ("reader", reader)):
        writable, whole = container_sizes(docker_client, container)
        evidence(name, f"writable layer {writable} bytes, whole filesystem {whole} bytes")
        assert writable == 0
        assert whole == parent.attrs["Size"]


def disk_usage(docker_client) -> dict[str, dict]:
    """`docker system df -v`'s images, by ID. On the containerd image store the engine fails
    the call (a snapshot or a container's layer "not found") when another run's container or
    image goes away while it counts; it is asked again then."""
    for wait in range(1, 10):
        try:
            return {row["Id"]: row for row in docker_client.df()["Images"]}
        except APIError as error:
            if "not found" not in str(error.explanation):
                raise
        time.sleep(wait)
    return {row["Id"]: row for row in docker_client.df()["Images"]}


def unpacked_size(docker_client, image) -> int:
    """The containerd image store's size of the image's layers unpacked."""
    (manifest,) = [m for m in image_manifests(docker_client, image.id) if m["Kind"] == "image"]
    return manifest["ImageData"]["Size"]["Unpacked"]


@pytest.mark.claim("container-sizes-containerd-store")
def test_container_sizes_are_disk_usage_on_the_containerd_store(
    docker_client, parent_and_child, idle_container, evidence
):
    parent, _ = parent_and_child
    writable, whole = container_sizes(docker_client, idle_container)
    unpacked = unpacked_size(docker_client, parent)
    evidence(
        "sizes in bytes",
        f"writable layer: {writable} ({writable // 1024} KiB), whole filesystem: {whole}, "
        f"image's layers unpacked: {unpacked}, image: {parent.attrs['Size']}",
    )
    assert writable == BLOCK  # the empty writable layer's own directory
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
def test_both_images_count_the_parents_layers_as_shared(docker_client, parent_and_child, evidence):
    parent, child = parent_and_child
    big_file = saved_layers(parent)[-1]["big.bin"]
    rows = disk_usage(docker_client)
    named = {"bigfile": parent, "trimmed": child}
    shared = {name: rows[image.id]["SharedSize"] for name, image in named.items()}
    evidence(
        "shared sizes in bytes",
        f"/big.bin: {big_file} ({big_file // MIB} MiB); "
        + ", ".join(f"{name} shares {size}" for name, size in shared.items()),
    )
    assert big_file == 5 * MIB
    # Both count the same layers as shared, the parent's, the 5 MiB file's included (the
    # child's own layer, a whiteout, is its own).
    assert shared["bigfile"] == shared["trimmed"] > big_file


@pytest.mark.claim("shared-size-classic-store")
def test_on_the_classic_store_the_child_shares_all_of_its_bytes(
    docker_client, parent_and_child, evidence
):
    parent, child = parent_and_child
    rows = disk_usage(docker_client)
    for name, image in (("bigfile", parent), ("trimmed", child)):
        row = rows[image.id]
        evidence(name, f"{row['Size']} bytes, of which {row['SharedSize']} shared")
        assert row["SharedSize"] == row["Size"] == parent.attrs["Size"]


@pytest.mark.claim("shared-size-containerd-store")
def test_only_unpacked_layers_count_as_shared_on_the_containerd_store(
    docker_client, parent_and_child, evidence
):
    parent, child = parent_and_child
    rows = shared_sizes(docker_client, parent, child)
    for name, image in (("bigfile", parent), ("trimmed", child)):
        (manifest,) = [m for m in image_manifests(docker_client, image.id) if m["Kind"] == "image"]
        content, unpacked = manifest["Size"]["Content"], manifest["ImageData"]["Size"]["Unpacked"]
        row = rows[image.id]
        own = row["Size"] - row["SharedSize"]
        evidence(
            f"{name}, in bytes",
            f"size {row['Size']}, shared {row['SharedSize']}, own {own}; compressed content "
            f"{content} (about {content / 1e6:.1f} MB), unpacked layers {unpacked}",
        )
        assert row["Size"] == content + unpacked
        assert row["SharedSize"] <= unpacked
        # Its own: all of its compressed content (about 1.1 MB), and none of the rest but
        # the unpacked layers no other image has (the child's whiteout layer).
        assert content <= own <= content + 64 * 1024
        assert 1_000_000 < content < 1_200_000
