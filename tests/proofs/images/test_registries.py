"""Proofs for docs/images/registries.md, against a private registry on 127.0.0.1."""

import gzip
import hashlib
import json
import urllib.request
import uuid

import pytest

from ..registry import Registry

LOCAL = ("containers-are-created-from-local-images", "unqualified-names-expand-to-docker-hub")
DIGESTS = ("repo-digest-is-manifest-digest", "image-id-is-not-repo-digest")
PUSH_PULL = ("push-then-pull-gives-same-image-id", "loopback-registries-allowed-over-http")


@pytest.fixture
def registry_images(docker_client, registry: Registry):
    """Remove local images named after this run's registry once the test is done."""
    yield
    for image in docker_client.images.list():
        if any(tag.startswith(f"{registry.address}/") for tag in image.tags):
            docker_client.images.remove(image.id, force=True)


MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def fetch(registry: Registry, path: str, accept: str | None = None) -> tuple[bytes, dict]:
    request = urllib.request.Request(registry.url(path), headers={"Accept": accept or "*/*"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), dict(response.headers)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def containerd_store(client) -> bool:
    """Engines using the containerd image store show the manifest digest as the image ID."""
    status = dict(client.info().get("DriverStatus") or [])
    return status.get("driver-type") == "io.containerd.snapshotter.v1"


@pytest.mark.claim(
    "repo-digest-is-manifest-digest",
    "image-id-is-not-repo-digest",
    "registry-stores-compressed-layers",
)
def test_the_registry_holds_a_manifest_a_config_and_compressed_layers(
    docker_client, registry, build, registry_images, busybox
):
    image = build(f"FROM busybox:1.35\nRUN echo {uuid.uuid4().hex} > /id.txt\n")
    repository = f"{registry.address}/docs/anatomy"
    image.tag(repository, "1")
    events = list(docker_client.images.push(repository, tag="1", stream=True, decode=True))
    assert not [event for event in events if "error" in event]
    digest = next(event["aux"]["Digest"] for event in events if "aux" in event)

    body, headers = fetch(registry, "/v2/docs/anatomy/manifests/1", MANIFEST_V2)
    assert sha256(body) == headers["Docker-Content-Digest"] == digest
    image.reload()
    assert f"{repository}@{digest}" in image.attrs["RepoDigests"]
    manifest = json.loads(body)
    assert manifest["mediaType"] == MANIFEST_V2
    if containerd_store(docker_client):
        assert image.id == digest
    else:
        assert manifest["config"]["digest"] == image.id != digest

    config_digest = manifest["config"]["digest"]
    config, _ = fetch(registry, f"/v2/docs/anatomy/blobs/{config_digest}")
    assert sha256(config) == config_digest
    diff_ids = image.attrs["RootFS"]["Layers"]
    assert json.loads(config)["rootfs"]["diff_ids"] == diff_ids

    layers = manifest["layers"]
    assert len(layers) == len(diff_ids)
    assert {layer["digest"] for layer in layers}.isdisjoint(diff_ids)
    for layer in layers:
        assert layer["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
        blob, _ = fetch(registry, f"/v2/docs/anatomy/blobs/{layer['digest']}")
        assert blob[:2] == b"\x1f\x8b"  # gzip
        assert sha256(blob) == layer["digest"]
        assert sha256(gzip.decompress(blob)) in diff_ids


@pytest.mark.claim(
    "loopback-registries-allowed-over-http", "unqualified-names-expand-to-docker-hub"
)
def test_engine_defaults_for_registries(docker_client):
    info = docker_client.info()
    assert info["IndexServerAddress"] == "https://index.docker.io/v1/"
    registries = info["RegistryConfig"]
    assert "127.0.0.0/8" in registries["InsecureRegistryCIDRs"]
    assert registries["IndexConfigs"]["docker.io"]["Secure"] is True


@pytest.mark.claim("from-accepts-digest-reference", "digest-reference-survives-tag-move")
def test_a_build_from_a_digest_ignores_where_the_tag_points(
    docker_client, registry, build, registry_images, busybox
):
    repository = f"{registry.address}/docs/pinned-base"
    digests = []
    for version in ("1", "2"):
        image = build(f"FROM busybox:1.35\nRUN echo {version} > /version.txt\n")
        image.tag(repository, "latest")
        events = list(docker_client.images.push(repository, tag="latest", stream=True, decode=True))
        assert not [event for event in events if "error" in event]
        digests.append(next(event["aux"]["Digest"] for event in events if "aux" in event))
    first_digest = digests[0]
    docker_client.images.remove(f"{repository}@{first_digest}", force=True)

    child = build(f'FROM {repository}@{first_digest}\nCMD ["cat", "/version.txt"]\n')
    assert docker_client.containers.run(child.id, remove=True) == b"1\n"
    assert docker_client.images.get(f"{repository}:latest").attrs["RepoDigests"] == [
        f"{repository}@{digests[1]}"
    ]
