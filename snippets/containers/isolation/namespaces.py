"""Which namespaces two containers share, by default and on request (Docker SDK for Python)."""

import docker
from docker.models.containers import Container


# --8<-- [start:sdk] proves: isolation-by-default-shareable-on-request network-namespace-can-be-shared no-user-namespace-by-default own-namespaces-by-default pid-namespace-can-be-shared
def namespace(container: Container, kind: str) -> str:
    """The kernel's ID of the container's namespace of this kind, e.g. 'net:[4026532184]'."""
    return container.exec_run(["readlink", f"/proc/self/ns/{kind}"]).output.decode().strip()


client = docker.from_env()
left = client.containers.run("busybox:1.35", "sleep 300", detach=True)
right = client.containers.run("busybox:1.35", "sleep 300", detach=True)
joined = client.containers.run(
    "busybox:1.35",
    "sleep 300",
    detach=True,
    network_mode=f"container:{left.id}",
    pid_mode=f"container:{left.id}",
)
print("namespace  left=right  left=joined")
for kind in ("mnt", "pid", "net", "uts", "ipc", "user"):
    ours = namespace(left, kind)
    print(f"{kind:9}  {ours == namespace(right, kind)!s:10}  {ours == namespace(joined, kind)}")
for container in (joined, left, right):
    container.remove(force=True)
# > namespace  left=right  left=joined
# > mnt        False       False
# > pid        False       True
# > net        False       True
# > uts        False       False
# > ipc        False       False
# > user       True        True
# --8<-- [end:sdk]
