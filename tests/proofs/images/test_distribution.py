"""Proofs for docs/images/distribution.md."""

import hashlib
import io
import json
import posixpath
import struct
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
from docker.errors import APIError


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


SAVE = ("save-load-keeps-image-id", "save-archive-holds-config-and-layers")
EXPORT = ("export-flattens-container-filesystem", "import-creates-new-single-layer-image")
PLATFORM = ("image-records-os-and-architecture", "image-carries-no-kernel")


BUSYBOX_BINARY = Path("/bin/busybox")


@pytest.mark.claim("image-size-is-its-layers")
def test_an_image_is_as_large_as_the_files_in_its_layers(docker_client, busybox, build, measure):
    base = docker_client.images.get(busybox)
    assert sum(step["Size"] for step in base.history()) == base.attrs["Size"]
    # The busybox stand-in is one static binary plus links and directories.
    binary = BUSYBOX_BINARY.stat().st_size
    assert binary <= base.attrs["Size"] <= binary + 64 * 1024
    measure("busybox-image-size", round(base.attrs["Size"] / 1e6, 2), "MB")
    bigger = build("FROM busybox:1.35\nRUN head -c 3000000 /dev/zero > /zeros\n")
    assert bigger.attrs["Size"] - base.attrs["Size"] == 3_000_000


def save(*references: str) -> tarfile.TarFile:
    archive = subprocess.run(
        ["docker", "save", *references], capture_output=True, timeout=120, check=True
    ).stdout
    return tarfile.open(fileobj=io.BytesIO(archive))


def layer_file(archive: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    """The archive member holding a layer, following the links `docker save` uses for repeats."""
    member = archive.getmember(name)
    while member.issym():
        folder = posixpath.dirname(member.name)
        member = archive.getmember(posixpath.normpath(posixpath.join(folder, member.linkname)))
    return member


@pytest.fixture(scope="module")
def family(build):
    """A parent image with a layer no other image has, and a child built FROM it."""
    parent = build(f"FROM busybox:1.35\nRUN echo {uuid.uuid4().hex} > /parent.txt\n")
    child = build(f"FROM {parent.tags[0]}\nRUN echo {uuid.uuid4().hex} > /child.txt\n")
    return parent, child


@pytest.mark.claim("save-archive-holds-config-and-layers", "shared-layers-transferred-once")
def test_an_archive_of_two_related_images_holds_each_layer_once(family, busybox):
    parent, child = family
    with save(parent.tags[0], child.tags[0]) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        by_config = {entry["Config"]: entry for entry in manifest}
        assert len(by_config) == 2
        stored = set()
        for image in (parent, child):
            entry = next(
                e for e in manifest if sha256(archive.extractfile(e["Config"]).read()) == image.id
            )
            diff_ids = image.attrs["RootFS"]["Layers"]
            members = [layer_file(archive, name) for name in entry["Layers"]]
            assert [sha256(archive.extractfile(m).read()) for m in members] == diff_ids
            stored |= {m.name for m in members}
        shared = set(parent.attrs["RootFS"]["Layers"]) | set(child.attrs["RootFS"]["Layers"])
        assert len(stored) == len(shared)  # one file per distinct layer


@pytest.mark.claim("shared-layers-transferred-once")
def test_a_push_uploads_only_the_layers_the_registry_lacks(
    docker_client, registry, family, busybox
):
    parent, child = family
    uploaded = {}
    references = []
    try:
        for image, repository in ((parent, "docs/parent"), (child, "docs/child")):
            reference = f"{registry.address}/{repository}"
            image.tag(reference, "1")
            references.append(f"{reference}:1")
            events = list(docker_client.images.push(reference, tag="1", stream=True, decode=True))
            assert not [event for event in events if "error" in event]
            uploaded[repository] = {e["id"] for e in events if e.get("status") == "Pushed"}
        # The parent's new layer went up with the parent; the child sent only its own layer.
        assert len(uploaded["docs/parent"]) >= 1
        assert len(uploaded["docs/child"]) == 1
        assert uploaded["docs/child"].isdisjoint(uploaded["docs/parent"])
    finally:
        for reference in references:
            docker_client.images.remove(reference)


EM_X86_64, EM_AARCH64 = 62, 183  # ELF machine numbers


def elf_header(machine: int) -> bytes:
    """The 64-byte header of a 64-bit little-endian ELF executable for the given CPU."""
    ident = b"\x7fELF\x02\x01\x01\x00" + bytes(8)
    # type EXEC, machine, version, entry, program headers at 64, no sections, sizes
    fields = (2, machine, 1, 0x400000, 64, 0, 0, 64, 56, 0, 0, 0, 0)
    return ident + struct.pack("<HHIQQQIHHHHHH", *fields)


@pytest.mark.claim("foreign-architecture-binary-fails")
def test_a_program_for_another_cpu_does_not_start(docker_client, build, busybox, evidence):
    # A program for the other common 64-bit CPU than the engine's own.
    engine_arch = docker_client.version()["Arch"]
    machine, foreign = (EM_X86_64, "amd64") if engine_arch == "arm64" else (EM_AARCH64, "arm64")
    image = build(
        'FROM busybox:1.35\nCOPY program /program\nRUN chmod 755 /program\nCMD ["/program"]\n',
        files={"program": elf_header(machine)},
    )
    container = docker_client.containers.create(image.id)
    try:
        try:
            container.start()
        except APIError as error:  # engines that report the failure at start
            message = str(error)
        else:
            container.wait(timeout=30)
            message = container.logs().decode()
        evidence(f"running a {foreign} program on a {engine_arch} engine", message)
        assert "exec format error" in message
    finally:
        container.remove(force=True)


@pytest.fixture(scope="module")
def small_image(build):
    return build(f"FROM busybox:1.35\nLABEL purpose={uuid.uuid4().hex}\n", name="shipment")


@pytest.mark.claim("save-load-keeps-image-id", "sdk-save-without-named-drops-tags")
def test_saving_by_id_keeps_the_id_and_loses_the_tag(docker_client, small_image, busybox):
    tag = small_image.tags[0]
    unnamed = b"".join(small_image.save())
    named = b"".join(small_image.save(named=True))
    docker_client.images.remove(small_image.id, force=True)
    (loaded,) = docker_client.images.load(unnamed)
    assert (loaded.id, loaded.tags) == (small_image.id, [])
    (loaded,) = docker_client.images.load(named)
    assert (loaded.id, loaded.tags) == (small_image.id, [tag])


@pytest.mark.claim("save-archive-layout-by-engine", "save-archive-holds-config-and-layers")
def test_the_archive_layout_matches_the_engine(docker_client, small_image, busybox):
    major = int(docker_client.version()["Version"].split(".")[0])
    with save(small_image.tags[0]) as archive:
        names = set(archive.getnames())
        (entry,) = json.load(archive.extractfile("manifest.json"))
        config = entry["Config"]
        assert sha256(archive.extractfile(config).read()) == small_image.id
        assert len(entry["Layers"]) == len(small_image.attrs["RootFS"]["Layers"])
    hexdigest = small_image.id.removeprefix("sha256:")
    if major >= 25:
        assert {"oci-layout", "index.json"} <= names
        assert config == f"blobs/sha256/{hexdigest}"
        assert all(layer.startswith("blobs/sha256/") for layer in entry["Layers"])
    else:
        assert "oci-layout" not in names
        assert config == f"{hexdigest}.json"
        assert all(layer.endswith("/layer.tar") for layer in entry["Layers"])


@pytest.mark.claim("import-creates-new-single-layer-image")
def test_import_takes_configuration_only_from_changes(docker_client, busybox):
    files = io.BytesIO()
    with tarfile.open(fileobj=files, mode="w") as tar:
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = BUSYBOX_BINARY.stat().st_size, 0o755
        with BUSYBOX_BINARY.open("rb") as binary:
            tar.addfile(info, binary)
    name = f"imported-{uuid.uuid4().hex[:8]}"
    docker_client.api.import_image_from_data(
        files.getvalue(), repository=name, tag="1", changes=['CMD ["/bin/busybox", "echo", "hi"]']
    )
    try:
        image = docker_client.images.get(f"{name}:1")
        assert len(image.attrs["RootFS"]["Layers"]) == 1
        assert image.attrs["Config"]["Cmd"] == ["/bin/busybox", "echo", "hi"]
        assert not image.attrs["Config"].get("Env")
        (entry,) = image.history()
        assert entry["Comment"].startswith("Imported from")
        assert docker_client.containers.run(image.id, remove=True) == b"hi\n"
    finally:
        docker_client.images.remove(f"{name}:1", force=True)
