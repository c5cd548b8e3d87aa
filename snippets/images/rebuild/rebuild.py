"""Rebuilding gives a new image; the tag moves to it (Docker SDK for Python)."""

from pathlib import Path

import docker

# --8<-- [start:sdk] proves: classic-builder-keeps-old-image rebuild-gives-new-image-id tag-moves-id-does-not
client = docker.from_env()
# rm=True removes the build's intermediate containers, as `docker build` does.
first, _ = client.images.build(path=".", tag="greeter:latest", rm=True)

Path("message.txt").write_text("version 2\n")
second, _ = client.images.build(path=".", tag="greeter:latest", rm=True)

first.reload()
print("new image ID:", second.id != first.id)
print(
    "tag now points at:",
    "second" if client.images.get("greeter:latest").id == second.id else "first",
)
print("old image still there, untagged:", client.images.get(first.id).tags)
print("old image still runs:", client.containers.run(first.id, remove=True).decode().strip())
# > new image ID: True
# > tag now points at: second
# > old image still there, untagged: []
# > old image still runs: version 1
# --8<-- [end:sdk]
