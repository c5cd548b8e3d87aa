"""Push an image to a registry, delete it locally, pull it back (Docker SDK for Python)."""

import re

import docker

# --8<-- [start:sdk] proves: image-id-is-not-repo-digest push-then-pull-gives-same-image-id repo-digest-is-manifest-digest
client = docker.from_env()
repository = "127.0.0.1:5000/docs/greeting-sdk"
reference = f"{repository}:1.0"
image, _ = client.images.build(path=".", tag=reference, rm=True)

# Push errors arrive in the stream: docker-py doesn't raise them. The stream ends with the
# line `docker push` prints: "1.0: digest: sha256:... size: ...".
events = list(client.images.push(reference, stream=True, decode=True))
errors = [event["error"] for event in events if "error" in event]
pushed = [re.search(r"digest: (sha256:\w+)", event.get("status", "")) for event in events]
digest = next(match[1] for match in pushed if match)
image.reload()
print("push errors:", errors)
print("repo digest recorded:", f"{repository}@{digest}" in image.attrs["RepoDigests"])
print("image ID = repo digest:", digest == image.id)

client.images.remove(image.id)
pulled = client.images.pull(reference)
print("same image ID after pull:", pulled.id == image.id)
print("runs:", client.containers.run(pulled.id, remove=True).decode().strip())
client.images.remove(pulled.id)
# > push errors: []
# > repo digest recorded: True
# > image ID = repo digest: False
# > same image ID after pull: True
# > runs: hello from version 1
# > [on 28.5-containerd]
# > push errors: []
# > repo digest recorded: True
# > image ID = repo digest: True
# > same image ID after pull: True
# > runs: hello from version 1
# --8<-- [end:sdk]
