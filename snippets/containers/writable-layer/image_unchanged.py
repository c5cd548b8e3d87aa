"""What a container does never changes its image (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk] proves: container-activity-never-changes-image
client = docker.from_env()
image = client.images.get("busybox:1.35")
before = (image.id, image.attrs["RootFS"]["Layers"])

tinkerer = client.containers.run(
    "busybox:1.35", ["sh", "-c", "rm /bin/ls && echo hi > /hello.txt"], detach=True
)
tinkerer.wait(timeout=30)
print("changes in the container:", len(tinkerer.diff()))
tinkerer.remove()

image.reload()
print("image ID and layers unchanged:", (image.id, image.attrs["RootFS"]["Layers"]) == before)
# > changes in the container: 3
# > image ID and layers unchanged: True
# --8<-- [end:sdk]
