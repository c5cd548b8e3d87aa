"""Proofs for docs/images/layers.md."""

import io
import json
import posixpath
import tarfile

import pytest

COW = (
    "containers-use-image-layers-in-place",
    "reading-a-file-copies-nothing",
    "modifying-a-file-copies-it-whole",
    "deleting-a-file-records-a-whiteout",
)
CHILD = ("child-image-extends-parent-layers", "deleted-file-still-in-image-layer")


BIG_FILE = "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null\n"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def parent_and_child(build):
    parent = build(BIG_FILE, name="bigfile")
    parent_tag = parent.tags[0]
    child = build(f"FROM {parent_tag}\nRUN rm /big.bin\n", name="trimmed")
    return parent, child


def layer_members(image, index: int) -> list[str]:
    """Names in the uncompressed tar of the image's layer number `index`, via `docker save`."""
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
    assert child.attrs["Size"] >= parent.attrs["Size"] >= 5 * MIB
    # The child's own layer holds only the whiteout that hides /big.bin (OCI layer format).
    assert layer_members(child, -1) == [".wh.big.bin"]
    assert "big.bin" in layer_members(child, -2)


@pytest.mark.claim("same-step-delete-keeps-file-out")
def test_a_file_deleted_in_the_same_step_adds_nothing(build, docker_client, busybox):
    base = docker_client.images.get(busybox)
    image = build(
        "FROM busybox:1.35\nRUN dd if=/dev/zero of=/big.bin bs=1M count=5 2>/dev/null "
        "&& rm /big.bin\n"
    )
    assert image.attrs["Size"] - base.attrs["Size"] < 1024
