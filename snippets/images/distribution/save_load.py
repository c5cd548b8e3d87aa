"""Move an image without a registry: save it to an archive, load it back (Docker SDK)."""

import docker

# --8<-- [start:sdk] proves: save-load-keeps-image-id
client = docker.from_env()
# rm=True removes the build's intermediate containers, as `docker build` does.
image, _ = client.images.build(path=".", tag="shipment", rm=True)

archive = b"".join(image.save(named=True))  # named=True keeps the tag in the archive
client.images.remove(image.id)

(loaded,) = client.images.load(archive)
print("same image ID:", loaded.id == image.id)
print("tags:", loaded.tags)
print("runs:", client.containers.run(loaded.id, remove=True).decode().strip())
# > same image ID: True
# > tags: ['shipment:latest']
# > runs: packed and shipped
# --8<-- [end:sdk]
