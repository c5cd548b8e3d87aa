"""Proofs for docs/images/rebuild.md."""

import shutil
import uuid

import pytest

CLAIMS = ("rebuild-gives-new-image-id", "old-image-remains-after-rebuild", "tag-moves-id-does-not")


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


@pytest.mark.claim(*CLAIMS)
def test_rebuilding_after_a_change_moves_the_tag_and_keeps_the_old_image(
    docker_client, build_context
):
    tag = f"greeter-{uuid.uuid4().hex[:8]}:latest"
    first, _ = docker_client.images.build(path=str(build_context), tag=tag, rm=True)
    container = docker_client.containers.create(tag)
    try:
        (build_context / "message.txt").write_text("version 2\n")
        second, _ = docker_client.images.build(path=str(build_context), tag=tag, rm=True)
        assert second.id != first.id
        assert docker_client.images.get(tag).id == second.id
        first.reload()
        assert first.tags == []
        # A container created from the tag before the rebuild still uses the old image.
        assert container.attrs["Image"] == first.id
        out = docker_client.containers.run(first.id, remove=True)
        assert out == b"version 1\n"
    finally:
        container.remove(force=True)
