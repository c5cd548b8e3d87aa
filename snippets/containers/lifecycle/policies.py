"""Restart policies and removal rules (Docker SDK for Python)."""

import time

import docker

# --8<-- [start:sdk] proves: on-failure-restarts-up-to-max rm-excludes-restart-policy rm-refuses-a-running-container
client = docker.from_env()

flaky = client.containers.run(
    "busybox:1.35",
    ["sh", "-c", "exit 3"],
    detach=True,
    restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
)
deadline = time.monotonic() + 30
while flaky.status != "exited" and time.monotonic() < deadline:
    time.sleep(0.2)
    flaky.reload()
print("restarts:", flaky.attrs["RestartCount"], "| exit code:", flaky.attrs["State"]["ExitCode"])
flaky.remove()

try:
    client.containers.create("busybox:1.35", auto_remove=True, restart_policy={"Name": "always"})
except docker.errors.APIError as error:
    print("auto-remove with a restart policy:", error.status_code, error.explanation)

running = client.containers.run("busybox:1.35", "sleep 300", detach=True, init=True)
try:
    running.remove()
except docker.errors.APIError as error:
    print("removing a running container:", error.status_code)
running.remove(force=True)
# > restarts: 2 | exit code: 3
# > auto-remove with a restart policy: 400 can't create 'AutoRemove' container with restart policy
# > removing a running container: 409
# --8<-- [end:sdk]
