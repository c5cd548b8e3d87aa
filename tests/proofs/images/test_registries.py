"""Proofs for docs/images/registries.md, against a private registry on 127.0.0.1."""

import contextlib
import gzip
import hashlib
import io
import json
import re
import socket
import ssl
import subprocess
import tarfile
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from docker.errors import DockerException, ImageNotFound
from docker.models.images import Image

from ..registry import Registry

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE_MANIFESTS = f"{MANIFEST_V2}, {OCI_MANIFEST}"
ANY_MANIFEST = f"{IMAGE_MANIFESTS}, {OCI_INDEX}"
GZIP_LAYERS = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.oci.image.layer.v1.tar+gzip",
}
PLAIN_LAYERS = {
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.oci.image.layer.v1.tar",
}
ATTESTATION = "attestation-manifest"  # BuildKit's vnd.docker.reference.type annotation


@pytest.fixture
def registry_images(docker_client, registry: Registry):
    """Remove local images named after this run's registry once the test is done."""
    yield
    for image in docker_client.api.images(all=True):  # one call, no inspect of each image
        names = (image.get("RepoTags") or []) + (image.get("RepoDigests") or [])
        if any(name.startswith(f"{registry.address}/") for name in names):
            with contextlib.suppress(ImageNotFound):
                docker_client.images.remove(image["Id"], force=True)


def fetch(registry: Registry, path: str, accept: str = "*/*") -> tuple[bytes, dict]:
    request = urllib.request.Request(registry.url(path), headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), dict(response.headers)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push(client, repository: str, tag: str) -> str:
    """Push and return the digest the push reports, from the line `docker push` prints
    ("TAG: digest: sha256:... size: N"): both image stores send it, while only the classic
    store adds it as an `aux` record."""
    events = list(client.images.push(repository, tag=tag, stream=True, decode=True))
    assert not [event for event in events if "error" in event], events
    reported = [
        match[1]
        for event in events
        if (match := re.search(r"digest: (sha256:[0-9a-f]{64})", event.get("status", "")))
    ]
    assert len(reported) == 1, events
    return reported[0]


def image_manifest(registry: Registry, repository: str, top: dict) -> dict:
    """The image manifest the tag names: the top-level document itself, or, for an index,
    the manifest it lists first, which must not be an attestation."""
    if top["mediaType"] != OCI_INDEX:
        return top
    first = top["manifests"][0]
    assert first.get("annotations", {}).get("vnd.docker.reference.type") != ATTESTATION
    path = f"/v2/{repository}/manifests/{first['digest']}"
    body, headers = fetch(registry, path, IMAGE_MANIFESTS)
    assert sha256(body) == headers["Docker-Content-Digest"] == first["digest"]
    return json.loads(body)


@pytest.mark.claim(
    "containers-are-created-from-local-images", "local-image-repo-digests-depend-on-the-store"
)
@pytest.mark.branches("classic store", "containerd store")
def test_a_local_build_runs_without_a_registry_and_its_repo_digests_depend_on_the_store(
    docker_client, engine, branch, build, buildkit
):
    marker = uuid.uuid4().hex
    dockerfile = f'FROM busybox:1.35\nRUN echo {marker} > /id.txt\nCMD ["cat", "/id.txt"]\n'
    built = [build(dockerfile), buildkit(dockerfile)[0]]
    for image in built:
        assert docker_client.containers.run(image.id, remove=True) == f"{marker}\n".encode()
        name = image.tags[0].rsplit(":", 1)[0]
        if engine["image_store"] == "containerd":
            branch("containerd store")
            assert image.attrs["RepoDigests"] == [f"{name}@{image.id}"]
        else:
            branch("classic store")
            assert image.attrs["RepoDigests"] == []


@pytest.mark.claim("containers-are-created-from-local-images")
def test_run_takes_a_local_image_without_asking_the_registry(registry, build, registry_images):
    """The image is named after this run's registry, which has never received it: a pull
    would fail, so the container can only come from the local store."""
    marker = uuid.uuid4().hex
    image = build(f'FROM busybox:1.35\nRUN echo {marker} > /id.txt\nCMD ["cat", "/id.txt"]\n')
    name = f"docs/never-pushed-{marker[:8]}"
    image.tag(f"{registry.address}/{name}", "1")
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(registry, f"/v2/{name}/manifests/1", ANY_MANIFEST)
    missing.value.close()
    assert missing.value.code == 404
    # `--pull=missing` is docker run's default policy, spelled out.
    run = ["docker", "run", "--rm", "--pull=missing", f"{registry.address}/{name}:1"]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (0, f"{marker}\n"), done.stderr


@pytest.mark.claim("loopback-registries-allowed-over-http")
def test_a_registry_on_loopback_takes_a_push_over_plain_http(
    docker_client, registry, build, registry_images
):
    host = registry.address  # 127.0.0.1:<port>, in 127.0.0.0/8
    with urllib.request.urlopen(f"http://{host}/v2/", timeout=10) as answer:  # plain HTTP only
        assert answer.status == 200
    image = build(f"FROM busybox:1.35\nRUN echo {uuid.uuid4().hex} > /id.txt\n")
    repository = f"{host}/docs/plain-http"
    image.tag(repository, "1")
    try:
        digest = push(docker_client, repository, "1")  # no daemon configuration needed
        assert f"{repository}@{digest}" in docker_client.images.get(image.id).attrs["RepoDigests"]
    finally:
        docker_client.images.remove(f"{repository}:1")


# What a plain-HTTP server such as the registry (Go's net/http) answers to a TLS handshake.
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Listener:
    """A stand-in registry on 127.0.0.1 that notes how each connection opens, and answers every
    request with 404. With a certificate it completes TLS handshakes and notes each request
    sent inside ("HTTPS ..."); without, it answers a TLS handshake as a plain-HTTP server does
    and notes each plain request ("HTTP ...")."""

    def __init__(self, certificate: tuple[Path, Path] | None) -> None:
        self.tls = None
        if certificate:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*certificate)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self) -> "Listener":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.server.close()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(10)
                with contextlib.suppress(OSError):
                    self.answer(connection)

    def answer(self, connection: socket.socket) -> None:
        if connection.recv(1, socket.MSG_PEEK) != b"\x16":  # not a TLS handshake record
            request = connection.recv(65536)
            self.seen.append("HTTP " + request.split(b"\r\n")[0].decode())
            connection.sendall(NOT_FOUND)
        elif self.tls is None:
            self.seen.append("TLS handshake")
            connection.recv(65536)
            connection.sendall(BAD_REQUEST)
        else:
            try:
                secured = self.tls.wrap_socket(connection, server_side=True)
            except ssl.SSLError as refused:  # the engine didn't accept the certificate
                self.seen.append(f"TLS refused: {refused.reason}")
                return
            with secured:
                request = secured.recv(65536)
                self.seen.append("HTTPS " + request.split(b"\r\n")[0].decode())
                secured.sendall(NOT_FOUND)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for another name than the listener's, signed by no authority."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=not-this-host", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def pull_attempts(docker_client, host: str, listener: Listener) -> list[str]:
    """What the engine sends to the listener for a pull (which fails: it serves nothing)."""
    with contextlib.suppress(DockerException):
        docker_client.images.pull(f"{host}:{listener.port}/docs/probe", tag="1")
    return listener.seen


@pytest.mark.claim("loopback-registries-allowed-over-http")
def test_on_loopback_the_engine_tries_unverified_https_then_http(docker_client, tmp_path):
    host = "127.0.0.1"
    with Listener(None) as plain:
        seen = pull_attempts(docker_client, host, plain)
    # HTTPS first; answered in plain HTTP, the engine asks again over HTTP.
    assert seen[0] == "TLS handshake", seen
    assert any(entry.startswith("HTTP ") for entry in seen[1:]), seen
    with Listener(self_signed(tmp_path)) as secured:
        seen = pull_attempts(docker_client, host, secured)
    # A certificate for another name, from no authority: the engine sends its requests anyway.
    assert seen, seen
    assert all(entry.startswith("HTTPS ") for entry in seen), seen


@pytest.mark.claim("repo-digest-is-manifest-digest", "registry-stores-compressed-layers")
def test_the_registry_holds_a_manifest_a_config_and_compressed_layers(
    docker_client, registry, build, buildkit, registry_images
):
    marker = uuid.uuid4().hex
    dockerfile = f"FROM busybox:1.35\nRUN echo {marker} > /id.txt\n"
    for builder, image in (("classic", build(dockerfile)), ("buildkit", buildkit(dockerfile)[0])):
        name = f"docs/anatomy-{builder}"
        repository = f"{registry.address}/{name}"
        image.tag(repository, "1")
        digest = push(docker_client, repository, "1")

        body, headers = fetch(registry, f"/v2/{name}/manifests/1", ANY_MANIFEST)
        assert sha256(body) == headers["Docker-Content-Digest"] == digest
        image.reload()
        assert f"{repository}@{digest}" in image.attrs["RepoDigests"]
        manifest = image_manifest(registry, name, json.loads(body))
        assert manifest["mediaType"] in (MANIFEST_V2, OCI_MANIFEST)

        config_digest = manifest["config"]["digest"]
        config, _ = fetch(registry, f"/v2/{name}/blobs/{config_digest}")
        assert sha256(config) == config_digest
        diff_ids = image.attrs["RootFS"]["Layers"]
        assert json.loads(config)["rootfs"]["diff_ids"] == diff_ids

        layers = manifest["layers"]
        assert len(layers) == len(diff_ids)
        assert {layer["digest"] for layer in layers}.isdisjoint(diff_ids)
        for layer, diff_id in zip(layers, diff_ids, strict=True):
            assert layer["mediaType"] in GZIP_LAYERS
            blob, _ = fetch(registry, f"/v2/{name}/blobs/{layer['digest']}")
            assert blob[:2] == b"\x1f\x8b"  # gzip
            assert sha256(blob) == layer["digest"]
            assert sha256(gzip.decompress(blob)) == diff_id


def tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def load_plain_archive(client, reference: str) -> tuple[Image, bytes]:
    """Load an archive in the classic `docker save` format (manifest.json, the config,
    <dir>/layer.tar), made here with one uncompressed layer; return the image and the layer."""
    layer = tar({"id.txt": f"{uuid.uuid4().hex}\n".encode()})
    diff_id = sha256(layer)
    config = json.dumps(
        {
            "architecture": client.version()["Arch"],
            "os": "linux",
            "config": {"Cmd": ["cat", "/id.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "a layer made by the test, uncompressed"}],
        }
    ).encode()
    config_file = sha256(config).removeprefix("sha256:") + ".json"
    layer_file = diff_id.removeprefix("sha256:") + "/layer.tar"
    manifest = [{"Config": config_file, "RepoTags": [reference], "Layers": [layer_file]}]
    archive = tar(
        {"manifest.json": json.dumps(manifest).encode(), config_file: config, layer_file: layer}
    )
    (image,) = client.images.load(archive)
    assert image.attrs["RootFS"]["Layers"] == [diff_id]
    return image, layer


def pushed_layers(client, registry: Registry, image: Image, name: str) -> list[tuple[dict, bytes]]:
    """Push the image as <registry>/<name>:1; the layers its manifest lists, with their blobs."""
    repository = f"{registry.address}/{name}"
    image.tag(repository, "1")
    push(client, repository, "1")
    body, _ = fetch(registry, f"/v2/{name}/manifests/1", ANY_MANIFEST)
    manifest = image_manifest(registry, name, json.loads(body))
    layers = []
    for layer in manifest["layers"]:
        blob, _ = fetch(registry, f"/v2/{name}/blobs/{layer['digest']}")
        assert sha256(blob) == layer["digest"]
        layers.append((layer, blob))
    return layers


@pytest.mark.claim("registry-stores-compressed-layers")
def test_the_classic_store_compresses_a_loaded_plain_layer_as_it_pushes(
    docker_client, registry, registry_images
):
    reference = f"{registry.address}/docs/loaded-plain:0"
    image, plain = load_plain_archive(docker_client, reference)
    ((layer, blob),) = pushed_layers(docker_client, registry, image, "docs/loaded-plain")
    assert layer["mediaType"] in GZIP_LAYERS
    assert blob[:2] == b"\x1f\x8b"  # gzip
    assert layer["digest"] != sha256(plain) == image.attrs["RootFS"]["Layers"][0]
    assert gzip.decompress(blob) == plain


@pytest.mark.claim("containerd-push-sends-layers-as-stored")
def test_the_containerd_store_pushes_each_layer_as_it_keeps_it(
    docker_client, registry, build, registry_images
):
    built = build(f"FROM busybox:1.35\nRUN echo {uuid.uuid4().hex} > /id.txt\n")
    loaded, plain = load_plain_archive(docker_client, f"{registry.address}/docs/loaded:0")
    for source, image in (("built", built), ("loaded", loaded)):
        diff_ids = image.attrs["RootFS"]["Layers"]
        layers = pushed_layers(docker_client, registry, image, f"docs/as-stored-{source}")
        assert len(layers) == len(diff_ids)
        for (layer, blob), diff_id in zip(layers, diff_ids, strict=True):
            if source == "built":  # gzip, as BuildKit or the builder stored it
                assert layer["mediaType"] in GZIP_LAYERS
                assert layer["digest"] != diff_id == sha256(gzip.decompress(blob))
            else:  # the tar the archive held, byte for byte
                assert layer["mediaType"] in PLAIN_LAYERS
                assert layer["digest"] == diff_id
                assert blob == plain


@pytest.mark.claim("image-id-is-not-repo-digest")
def test_on_the_classic_store_the_image_id_is_the_config_digest(
    docker_client, registry, build, buildkit, registry_images
):
    marker = uuid.uuid4().hex
    dockerfile = f"FROM busybox:1.35\nRUN echo {marker} > /id.txt\n"
    for builder, image in (("classic", build(dockerfile)), ("buildkit", buildkit(dockerfile)[0])):
        name = f"docs/classic-id-{builder}"
        image.tag(f"{registry.address}/{name}", "1")
        digest = push(docker_client, f"{registry.address}/{name}", "1")
        body, _ = fetch(registry, f"/v2/{name}/manifests/1", ANY_MANIFEST)
        manifest = json.loads(body)
        assert manifest["mediaType"] == MANIFEST_V2
        assert manifest["config"]["digest"] == image.id != digest == sha256(body)


@pytest.mark.claim("containerd-image-id-is-repo-digest")
def test_on_the_containerd_store_the_image_id_is_the_pushed_digest(
    docker_client, registry, build, buildkit, registry_images
):
    marker = uuid.uuid4().hex
    dockerfile = f"FROM busybox:1.35\nRUN echo {marker} > /id.txt\n"
    for builder, image in (("classic", build(dockerfile)), ("buildkit", buildkit(dockerfile)[0])):
        name = f"docs/containerd-id-{builder}"
        descriptor = image.attrs["Descriptor"]
        assert descriptor["digest"] == image.id
        image.tag(f"{registry.address}/{name}", "1")
        digest = push(docker_client, f"{registry.address}/{name}", "1")
        body, headers = fetch(registry, f"/v2/{name}/manifests/1", ANY_MANIFEST)
        assert image.id == digest == sha256(body) == headers["Docker-Content-Digest"]
        assert json.loads(body)["mediaType"] == descriptor["mediaType"]
        if builder == "classic":  # one image manifest, no index
            assert descriptor["mediaType"] in (MANIFEST_V2, OCI_MANIFEST)
            continue
        # BuildKit: an index listing the image manifest, then its provenance attestation.
        assert descriptor["mediaType"] == OCI_INDEX
        image_entry, attestation = json.loads(body)["manifests"]
        assert image_entry["platform"]["os"] == "linux"
        annotations = attestation["annotations"]
        assert annotations["vnd.docker.reference.type"] == ATTESTATION
        assert annotations["vnd.docker.reference.digest"] == image_entry["digest"]


@pytest.mark.claim(
    "loopback-registries-allowed-over-http", "unqualified-names-expand-to-docker-hub"
)
def test_engine_defaults_for_registries(docker_client, engine):
    info = docker_client.info()
    assert info["IndexServerAddress"] == "https://index.docker.io/v1/"
    registries = info["RegistryConfig"]
    insecure = registries["InsecureRegistryCIDRs"]
    assert "127.0.0.0/8" in insecure
    # The IPv6 loopback joined the default list in Engine 28.0 (moby/moby#48540).
    assert ("::1/128" in insecure) == (int(engine["version"].split(".")[0]) >= 28)
    assert registries["IndexConfigs"]["docker.io"]["Secure"] is True


@pytest.mark.claim("from-accepts-digest-reference", "digest-reference-survives-tag-move")
def test_a_build_from_a_digest_ignores_where_the_tag_points(
    docker_client, registry, build, registry_images, busybox
):
    repository = f"{registry.address}/docs/pinned-base"
    images, digests = [], []
    for version in ("1", "2"):
        image = build(f"FROM busybox:1.35\nRUN echo {version} > /version.txt\n")
        image.tag(repository, "latest")
        digests.append(push(docker_client, repository, "latest"))
        images.append(image)
    # No local copy of version 1 is left: the build below must get it from the registry.
    docker_client.images.remove(images[0].id, force=True)
    with pytest.raises(ImageNotFound):
        docker_client.images.get(images[0].id)

    # The tag moved in the registry: it names version 2 now.
    _, headers = fetch(registry, "/v2/docs/pinned-base/manifests/latest", ANY_MANIFEST)
    assert headers["Docker-Content-Digest"] == digests[1] != digests[0]

    child = build(f'FROM {repository}@{digests[0]}\nCMD ["cat", "/version.txt"]\n')
    assert docker_client.containers.run(child.id, remove=True) == b"1\n"
    latest = docker_client.images.get(f"{repository}:latest")
    assert latest.id == images[1].id
    assert f"{repository}@{digests[1]}" in latest.attrs["RepoDigests"]
    docker_client.images.remove(child.id)  # before its base, which registry_images removes
