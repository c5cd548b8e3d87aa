"""Proofs for docs/images/distribution.md."""

import gzip
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

from .conftest import image_manifests


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


SAVE = ("save-load-keeps-image-id", "save-archive-holds-config-and-layers")
EXPORT = ("export-flattens-container-filesystem", "import-creates-new-single-layer-image")
PLATFORM = ("image-records-os-and-architecture", "image-carries-no-kernel")


BUSYBOX_BINARY = Path("/bin/busybox")
BLOCK = 4096  # the block size of the filesystem the engines keep their data on (ext4)
GZIP_MAGIC = b"\x1f\x8b"


THREE_MB = "FROM busybox:1.35\nRUN head -c 3000000 /dev/zero > /zeros\n"


@pytest.mark.claim("image-size-is-its-layers")
def test_an_image_is_as_large_as_the_files_in_its_layers(docker_client, busybox, build):
    """Measured layer by layer, as `docker history` does on either image store (the bytes of
    the files on the classic store, their disk blocks on the containerd store)."""
    base = docker_client.images.get(busybox)
    # The busybox stand-in is one static binary plus links and directories.
    binary = BUSYBOX_BINARY.stat().st_size
    assert binary <= sum(step["Size"] for step in base.history()) <= binary + 64 * 1024
    bigger = build(THREE_MB)
    assert 3_000_000 <= bigger.history()[0]["Size"] <= 3_000_000 + 64 * 1024


@pytest.mark.claim("image-size-classic-store")
def test_the_classic_store_reports_the_sum_of_the_layers(docker_client, busybox, build, measure):
    base = docker_client.images.get(busybox)
    assert sum(step["Size"] for step in base.history()) == base.attrs["Size"]
    listed = {row["Id"]: row["Size"] for row in docker_client.api.images()}
    assert listed[base.id] == base.attrs["Size"]
    measure("busybox-image-size", round(base.attrs["Size"] / 1e6, 2), "MB")
    bigger = build(THREE_MB)
    assert bigger.attrs["Size"] - base.attrs["Size"] == 3_000_000


def packed_size(image) -> int:
    """What the image takes packed, from `docker save`: its index (if any), its manifest, its
    configuration and its compressed layers (attestations left out)."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as archive:

        def blob(digest: str) -> bytes:
            return archive.extractfile("blobs/sha256/" + digest.removeprefix("sha256:")).read()

        top = blob(image.id)
        manifest, total = json.loads(top), len(top)
        if "manifests" in manifest:  # an index: the image's own manifest, not an attestation
            (entry,) = [m for m in manifest["manifests"] if m["platform"]["os"] != "unknown"]
            manifest, total = json.loads(blob(entry["digest"])), total + entry["size"]
        return total + manifest["config"]["size"] + sum(lay["size"] for lay in manifest["layers"])


@pytest.mark.claim("image-size-containerd-store")
def test_the_containerd_store_reports_packed_and_unpacked_sizes(docker_client, busybox, build):
    base = docker_client.images.get(busybox)
    bigger = build(THREE_MB)
    for image in (base, bigger):
        assert image.attrs["Size"] == packed_size(image)  # `docker image inspect`
        manifests = image_manifests(docker_client, image.id)
        (unpacked,) = [
            m["ImageData"]["Size"]["Unpacked"] for m in manifests if m["Kind"] == "image"
        ]
        content = sum(m["Size"]["Content"] for m in manifests)
        listed = {row["Id"]: row["Size"] for row in docker_client.api.images()}
        assert listed[image.id] == content + unpacked  # `docker image ls`
        # `docker history`: each layer's disk space, in whole blocks.
        sizes = [step["Size"] for step in image.history() if step["Size"]]
        assert sizes
        assert all(size % BLOCK == 0 for size in sizes)
    # 3 MB of zeros compress to a few kilobytes.
    assert 0 < bigger.attrs["Size"] - base.attrs["Size"] < 64 * 1024


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


def uncompressed(data: bytes) -> bytes:
    """A layer as a plain tar: the containerd store saves them gzip-compressed."""
    return gzip.decompress(data) if data[:2] == GZIP_MAGIC else data


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
        assert len({entry["Config"] for entry in manifest}) == 2
        stored = set()
        for image in (parent, child):
            (entry,) = [e for e in manifest if e["RepoTags"] == image.tags]
            config = json.load(archive.extractfile(entry["Config"]))
            diff_ids = image.attrs["RootFS"]["Layers"]
            assert config["rootfs"]["diff_ids"] == diff_ids
            members = [layer_file(archive, name) for name in entry["Layers"]]
            contents = [uncompressed(archive.extractfile(m).read()) for m in members]
            assert [sha256(content) for content in contents] == diff_ids
            stored |= {m.name for m in members}
        shared = set(parent.attrs["RootFS"]["Layers"]) | set(child.attrs["RootFS"]["Layers"])
        assert len(stored) == len(shared)  # one file per distinct layer


@pytest.mark.claim("shared-layers-transferred-once")
def test_a_push_uploads_only_the_layers_the_registry_lacks(
    docker_client, registry, family, busybox
):
    parent, child = family
    repository = f"{registry.address}/docs/family-{uuid.uuid4().hex[:8]}"
    # Both into one repository, the parent first.
    targets = {"parent": (parent, repository), "child": (child, repository)}
    uploaded = {}
    progress = {}  # what the push reported for each blob, for the failure message
    references = []
    for tag, (image, target) in targets.items():
        image.tag(target, tag)
        references.append(f"{target}:{tag}")
    try:
        for tag, (_, target) in targets.items():
            events = list(docker_client.images.push(target, tag=tag, stream=True, decode=True))
            assert not [event for event in events if "error" in event]
            uploaded[tag] = {e["id"] for e in events if e.get("status") == "Pushed"}
            progress[tag] = [
                (e["id"], e["status"]) for e in events if "id" in e and e.get("status") != "Pushing"
            ]
        # The parent's layers went up with the parent; the child sent only its own layer.
        assert len(uploaded["parent"]) >= 1, progress
        assert len(uploaded["child"]) == 1, progress
        assert uploaded["child"].isdisjoint(uploaded["parent"]), progress
        assert sum(status == "Layer already exists" for _, status in progress["child"]) == len(
            parent.attrs["RootFS"]["Layers"]
        ), progress
    finally:
        for reference in references:
            docker_client.images.remove(reference)


EM_X86_64, EM_AARCH64 = 62, 183  # ELF machine numbers
EXIT_STATUS = 42
# exit(42) by a system call: x86-64 `mov edi, 42; mov eax, 60; syscall`, arm64
# `mov x0, #42; mov x8, #93; svc #0`.
EXIT_CODE = {
    EM_X86_64: bytes.fromhex("bf2a000000b83c0000000f05"),
    EM_AARCH64: struct.pack("<3I", 0xD2800540, 0xD2800BA8, 0xD4000001),
}


def program(machine: int) -> bytes:
    """A complete static 64-bit little-endian ELF executable for the given CPU, which exits
    with EXIT_STATUS: the ELF header, one loadable segment (the whole file), the code."""
    start, header, segment = 0x400000, 64, 56
    code = EXIT_CODE[machine]
    ident = b"\x7fELF\x02\x01\x01\x00" + bytes(8)
    # type EXEC, machine, version, entry, program headers at 64, no sections, sizes, one segment
    fields = (2, machine, 1, start + header + segment, header, 0, 0, header, segment, 1, 0, 0, 0)
    size = header + segment + len(code)
    # PT_LOAD, readable and executable, from offset 0 at `start`, page-aligned
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, start, start, size, size, 0x1000)
    return ident + struct.pack("<HHIQQQIHHHHHH", *fields) + load + code


def start_program(docker_client, build, machine: int) -> tuple[int, str]:
    """Run the program as a container's command: its exit status and what the start said."""
    image = build(
        'FROM busybox:1.35\nCOPY program /program\nRUN chmod 755 /program\nCMD ["/program"]\n',
        files={"program": program(machine)},
    )
    container = docker_client.containers.create(image.id)
    try:
        try:
            container.start()
        except APIError as error:  # engines that report the failure at start
            return -1, str(error)
        status = container.wait(timeout=30)["StatusCode"]
        return status, container.logs().decode()
    finally:
        container.remove(force=True)


@pytest.mark.claim("foreign-architecture-binary-fails")
def test_a_program_for_another_cpu_does_not_start(docker_client, build, busybox, evidence):
    engine_arch = docker_client.version()["Arch"]
    native = EM_X86_64 if engine_arch == "amd64" else EM_AARCH64
    # The same program for the other common 64-bit CPU than the engine's own.
    machine, foreign = (EM_X86_64, "amd64") if engine_arch == "arm64" else (EM_AARCH64, "arm64")
    # No emulator is registered with the kernel for it (binfmt_misc).
    handlers = Path("/proc/sys/fs/binfmt_misc")
    assert not [h for h in handlers.glob("*") if "aarch64" in h.name or "x86_64" in h.name]
    # The program is complete: built for the engine's CPU, it runs.
    assert start_program(docker_client, build, native) == (EXIT_STATUS, "")
    status, message = start_program(docker_client, build, machine)
    evidence(f"running an {foreign} program on an {engine_arch} engine", message)
    assert status != EXIT_STATUS
    assert "exec format error" in message


@pytest.mark.claim("image-records-os-and-architecture")
def test_an_image_records_the_platform_it_was_built_for(docker_client, tmp_path):
    """FROM scratch: nothing in the image says which platform it is for but the build."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY message.txt /message.txt\n")
    (tmp_path / "message.txt").write_text("no program, no platform of its own\n")
    tag = f"platform-{uuid.uuid4().hex[:8]}:latest"
    # platform=None: the default, the engine's own platform.
    image, _ = docker_client.images.build(path=str(tmp_path), tag=tag, rm=True, platform=None)
    try:
        server = docker_client.version()
        recorded = (image.attrs["Os"], image.attrs["Architecture"])
        assert recorded == (server["Os"], server["Arch"])
    finally:
        docker_client.images.remove(image.id, force=True)


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


def saved_layout(image) -> tuple[set[str], dict, str]:
    """The names in the image's archive, its manifest entry, and its configuration's digest
    (hex), checking that the manifest names the image's configuration and each of its layers."""
    with save(image.tags[0]) as archive:
        names = set(archive.getnames())
        (entry,) = json.load(archive.extractfile("manifest.json"))
        config = json.load(archive.extractfile(entry["Config"]))
        assert config["config"]["Labels"] == image.attrs["Config"]["Labels"]
        assert len(entry["Layers"]) == len(image.attrs["RootFS"]["Layers"])
        digest = sha256(archive.extractfile(entry["Config"]).read()).removeprefix("sha256:")
    return names, entry, digest


@pytest.mark.claim("save-archive-holds-config-and-layers")
def test_the_manifest_names_the_configuration_and_the_layers(small_image, busybox):
    saved_layout(small_image)


@pytest.mark.claim("save-archive-layout-engine-20")
def test_engine_20_saves_the_configuration_by_id_and_a_folder_per_layer(small_image, busybox):
    names, entry, digest = saved_layout(small_image)
    assert "oci-layout" not in names
    assert entry["Config"] == f"{digest}.json"
    folders = [posixpath.dirname(layer) for layer in entry["Layers"]]
    assert all(layer.endswith("/layer.tar") for layer in entry["Layers"]), entry
    assert len(set(folders)) == len(folders)


@pytest.mark.claim("save-archive-oci-layout")
def test_later_engines_save_an_oci_image_layout(small_image, busybox):
    names, entry, digest = saved_layout(small_image)
    assert {"oci-layout", "index.json"} <= names
    assert entry["Config"] == f"blobs/sha256/{digest}"
    assert all(layer.startswith("blobs/sha256/") for layer in entry["Layers"]), entry


@pytest.mark.claim("save-archive-classic-store")
def test_the_classic_store_saves_plain_layers_and_the_config_as_the_id(small_image, busybox):
    with save(small_image.tags[0]) as archive:
        (entry,) = json.load(archive.extractfile("manifest.json"))
        assert sha256(archive.extractfile(entry["Config"]).read()) == small_image.id
        for name in entry["Layers"]:
            data = archive.extractfile(layer_file(archive, name)).read()
            assert data[:2] != GZIP_MAGIC
            tarfile.open(fileobj=io.BytesIO(data), mode="r:").close()  # a plain tar


@pytest.mark.claim("save-archive-containerd-store")
def test_the_containerd_store_saves_compressed_layers_and_names_the_id_in_the_index(
    small_image, busybox
):
    with save(small_image.tags[0]) as archive:
        (entry,) = json.load(archive.extractfile("manifest.json"))
        assert sha256(archive.extractfile(entry["Config"]).read()) != small_image.id
        (named,) = json.load(archive.extractfile("index.json"))["manifests"]
        assert named["digest"] == small_image.id
        for name in entry["Layers"]:
            data = archive.extractfile(layer_file(archive, name)).read()
            assert data[:2] == GZIP_MAGIC
            assert name == "blobs/sha256/" + sha256(data).removeprefix("sha256:")


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
