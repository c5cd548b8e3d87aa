"""Proofs for docs/images/what-is-an-image.md."""

import uuid

import pytest
from docker.errors import APIError, ImageNotFound

DEFAULTS = ("image-cmd-is-a-default", "container-env-and-labels-merge-with-image")
IN_USE = ("image-used-by-running-container-is-kept", "image-used-by-stopped-container-needs-force")


@pytest.fixture
def own_image(build, busybox):
    """A fresh image with a single tag, not shared with any other test."""
    image = build(f"FROM busybox:1.35\nLABEL purpose={uuid.uuid4().hex}\n", name="in-use")
    return image, image.tags[0]


@pytest.mark.claim("image-used-by-running-container-is-kept")
def test_a_running_container_pins_its_image_and_force_only_untags(docker_client, own_image):
    image, tag = own_image
    box = docker_client.containers.run(tag, "sleep 300", detach=True)
    try:
        for reference, force in ((tag, False), (image.id, True)):
            with pytest.raises(APIError) as refused:
                docker_client.images.remove(reference, force=force)
            assert refused.value.status_code == 409
        docker_client.images.remove(tag, force=True)
        image.reload()
        assert image.tags == []
        box.reload()
        assert box.status == "running"
        assert box.attrs["Image"] == image.id
    finally:
        box.remove(force=True)


def stopped_container_and_forced_removal(docker_client, own_image):
    """A stopped container of the image; `docker rmi` of its tag refused, then forced."""
    image, tag = own_image
    box = docker_client.containers.create(tag, ["echo", "still here"])
    with pytest.raises(APIError) as refused:
        docker_client.images.remove(tag)
    assert refused.value.status_code == 409
    docker_client.images.remove(tag, force=True)
    with pytest.raises(ImageNotFound):
        docker_client.images.get(tag)
    return image, box


@pytest.mark.claim("image-used-by-stopped-container-needs-force")
def test_a_stopped_container_yields_to_a_forced_removal_and_still_starts(docker_client, own_image):
    image, box = stopped_container_and_forced_removal(docker_client, own_image)
    try:
        box.start()
        assert box.wait(timeout=30)["StatusCode"] == 0
        assert box.logs() == b"still here\n"
        box.reload()
        assert box.attrs["Image"] == image.id
    finally:
        box.remove(force=True)


@pytest.mark.claim("forced-removal-deletes-image-of-stopped-container")
def test_on_the_classic_store_a_forced_removal_deletes_the_image(docker_client, own_image):
    image, box = stopped_container_and_forced_removal(docker_client, own_image)
    try:
        with pytest.raises(ImageNotFound):
            docker_client.images.get(image.id)
        assert image.id not in docker_client.api.images(all=True, quiet=True)
        box.start()
        assert box.wait(timeout=30)["StatusCode"] == 0
    finally:
        box.remove(force=True)


@pytest.mark.claim("containerd-forced-removal-only-untags")
def test_on_the_containerd_store_a_forced_removal_only_untags(docker_client, own_image):
    image, box = stopped_container_and_forced_removal(docker_client, own_image)
    try:
        kept = docker_client.images.get(image.id)
        assert kept.tags == []
        assert kept.attrs["RootFS"] == image.attrs["RootFS"]
    finally:
        box.remove(force=True)
