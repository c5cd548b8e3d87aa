"""Which Dockerfile instructions add layers (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk]
client = docker.from_env()
base = client.images.get("busybox:1.35")
# rm=True removes the build's intermediate containers, as `docker build` does.
image, _ = client.images.build(path=".", tag="demo", rm=True)

added = len(image.attrs["RootFS"]["Layers"]) - len(base.attrs["RootFS"]["Layers"])
print("layers added:", added)
for step in image.history()[:6]:  # newest first
    print(f"{step['Size']:>4}  {step['CreatedBy'][:60]}")
# --8<-- [end:sdk]
