"""What outlives a container: volumes and commits (Docker SDK for Python)."""

import docker
from docker.types import Mount

# --8<-- [start:sdk] proves: changes-last-as-long-as-the-container commit-captures-writable-layer-and-config commit-excludes-volume-data named-volume-outlives-container
client = docker.from_env()
client.volumes.create(name="sdk-notes")
data = [Mount(target="/data", source="sdk-notes")]  # not volumes=: see the warning below

box = client.containers.run(
    "busybox:1.35", "sleep 300", detach=True, environment={"GREETING": "hello"}, mounts=data
)
box.exec_run(["sh", "-c", "echo layer > /layer.txt && echo volume > /data/volume.txt"])
snapshot = box.commit(repository="sdk-snapshot")
config = snapshot.attrs["Config"]
print("committed defaults:", config["Cmd"], "GREETING=hello" in config["Env"])

check = "for f in /layer.txt /data/volume.txt; do test -e $f && echo $f kept || echo $f lost; done"
print(client.containers.run(snapshot.id, ["sh", "-c", check], remove=True).decode(), end="")

box.remove(force=True)
after = client.containers.run("busybox:1.35", "cat /data/volume.txt", mounts=data, remove=True)
print("volume after rm:", after.decode().strip())

client.images.remove(snapshot.id)
client.volumes.get("sdk-notes").remove()
# > committed defaults: ['sleep', '300'] True
# > /layer.txt kept
# > /data/volume.txt lost
# > volume after rm: volume
# --8<-- [end:sdk]
