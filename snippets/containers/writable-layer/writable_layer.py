"""A container's file changes live in its own writable layer (Docker SDK for Python)."""

import docker


# --8<-- [start:sdk] proves: changes-invisible-to-other-containers writable-layer-removed-with-container writable-layer-survives-stop-start
def has_file(container: docker.models.containers.Container, path: str) -> bool:
    return container.exec_run(["test", "-e", path]).exit_code == 0


client = docker.from_env()
box = client.containers.run("busybox:1.35", "sleep 300", detach=True)
box.exec_run(["sh", "-c", "echo hello > /note.txt"])
print("box sees its note:", has_file(box, "/note.txt"))

other = client.containers.run("busybox:1.35", "sleep 300", detach=True)
print("another container sees it:", has_file(other, "/note.txt"))
other.remove(force=True)

box.stop(timeout=1)
box.start()
print("after stop and start:", has_file(box, "/note.txt"))
print("changes:", box.diff())

box.remove(force=True)
fresh = client.containers.run("busybox:1.35", "sleep 300", detach=True)
print("a new container after rm:", has_file(fresh, "/note.txt"))
fresh.remove(force=True)
# > box sees its note: True
# > another container sees it: False
# > after stop and start: True
# > changes: [{'Path': '/note.txt', 'Kind': 1}]
# > a new container after rm: False
# --8<-- [end:sdk]
