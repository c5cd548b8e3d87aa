"""Images share layers; a layer used by several images is stored once (Docker SDK for Python)."""

import io

import docker

# --8<-- [start:sdk] proves: child-image-extends-parent-layers shared-layers-stored-once shared-size-classic-store
client = docker.from_env()
# rm=True removes the build's intermediate containers, as `docker build` does.
parent, _ = client.images.build(path=".", tag="bigfile", rm=True)
recipe = io.BytesIO(b"FROM bigfile\nRUN rm /big.bin\n")
child, _ = client.images.build(fileobj=recipe, tag="trimmed", rm=True)

parent_layers = parent.attrs["RootFS"]["Layers"]
child_layers = child.attrs["RootFS"]["Layers"]
print("layers:", len(parent_layers), "and", len(child_layers))
print("child starts with the parent's layers:", child_layers[: len(parent_layers)] == parent_layers)

usage = {image["Id"]: image for image in client.df()["Images"]}
for name, image in (("bigfile", parent), ("trimmed", child)):
    size, shared = usage[image.id]["Size"], usage[image.id]["SharedSize"]
    print(f"{name}: {size} bytes, of which {shared} shared with other images")

client.images.remove("trimmed")  # a child before its parent
client.images.remove("bigfile")
# > layers: 2 and 3
# > child starts with the parent's layers: True
# > bigfile: 7227012 bytes, of which 7227012 shared with other images
# > trimmed: 7227012 bytes, of which 7227012 shared with other images
# > [on 28.5-containerd]
# > layers: 2 and 3
# > child starts with the parent's layers: True
# > bigfile: [..] bytes, of which 7245824 shared with other images
# > trimmed: [..] bytes, of which 7245824 shared with other images
# --8<-- [end:sdk]
