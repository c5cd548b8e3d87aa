"""Which namespaces two containers share, by default and on request (Docker SDK for Python)."""

import docker
from docker.models.containers import Container

# --8<-- [start:sdk] proves: isolation-by-default-shareable-on-request network-namespace-can-be-shared no-user-namespace-by-default own-namespaces-by-default pid-namespace-can-be-shared
KINDS = ("mnt", "pid", "net", "uts", "ipc", "user", "cgroup")


def namespaces(container: Container) -> dict[str, str]:
    """The kernel's IDs of the container's namespaces, e.g. {'net': 'net:[4026532184]', ...}."""
    script = f"for kind in {' '.join(KINDS)}; do readlink /proc/self/ns/$kind; done"
    for _ in range(3):  # an exec's output is now and then lost (docker/docker-py#2042)
        ids = container.exec_run(["sh", "-c", script]).output.decode().split()
        if ids:
            return dict(zip(KINDS, ids, strict=True))
    raise RuntimeError(f"readlink printed nothing in {container.name}")


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
ours, theirs, joined_ns = namespaces(left), namespaces(right), namespaces(joined)
print("namespace  left=right  left=joined")
for kind in KINDS:
    print(f"{kind:9}  {ours[kind] == theirs[kind]!s:10}  {ours[kind] == joined_ns[kind]}")
for container in (joined, left, right):
    container.remove(force=True)
# > namespace  left=right  left=joined
# > mnt        False       False
# > pid        False       True
# > net        False       True
# > uts        False       False
# > ipc        False       False
# > user       True        True
# > cgroup     True        True
# --8<-- [end:sdk]
