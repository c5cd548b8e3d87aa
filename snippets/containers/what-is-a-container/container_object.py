"""A container is an object with a state; running, it is a host process (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk] proves: command-is-pid-1 container-exists-without-a-process container-is-an-instance-with-state container-outlives-its-process container-process-is-a-host-process killed-container-exits-137 one-image-many-containers
client = docker.from_env()

worker = client.containers.create("busybox:1.35", "sleep 300", name="sdk-worker")
print("created:", worker.status, "| PID", worker.attrs["State"]["Pid"])

worker.start()
worker.reload()
print("started:", worker.status, "| has a host PID:", worker.attrs["State"]["Pid"] > 0)
print("PID 1 inside:", worker.exec_run(["cat", "/proc/1/comm"]).output.decode().strip())

worker.kill()
print("killed: exit code", worker.wait(timeout=30)["StatusCode"])
found = client.containers.get("sdk-worker")
print("still there:", found.status, "| same ID:", found.id == worker.id)

twin = client.containers.create("busybox:1.35", "sleep 300")
print("twin: same image:", twin.image.id == worker.image.id, "| same ID:", twin.id == worker.id)
twin.remove()
worker.remove()
# > created: created | PID 0
# > started: running | has a host PID: True
# > PID 1 inside: sleep
# > killed: exit code 137
# > still there: exited | same ID: True
# > twin: same image: True | same ID: False
# --8<-- [end:sdk]
