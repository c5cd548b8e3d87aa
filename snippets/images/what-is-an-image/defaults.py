"""Image configuration is a set of defaults for containers (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk] proves: container-env-and-labels-merge-with-image image-cmd-is-a-default
client = docker.from_env()
# rm=True removes the build's intermediate containers, as `docker build` does.
image, _ = client.images.build(path=".", tag="webapp:latest", rm=True)

web = client.containers.create("webapp")
shell = client.containers.create(
    "webapp",
    ["sh", "-c", "env | sort"],
    environment={"MODE": "debug", "EXTRA": "1"},
    labels={"org.example.owner": "me"},
)
print("web runs:", web.attrs["Config"]["Cmd"])
print("shell runs:", shell.attrs["Config"]["Cmd"])
print("shell env:", sorted(shell.attrs["Config"]["Env"]))
labels = shell.attrs["Config"]["Labels"]
print("shell labels:", labels["org.example.team"], labels["org.example.owner"])

image.reload()
print("image still runs:", image.attrs["Config"]["Cmd"])
print("image env:", image.attrs["Config"]["Env"])
web.remove()
shell.remove()
# > web runs: ['httpd', '-f', '-p', '8080', '-h', '/srv']
# > shell runs: ['sh', '-c', 'env | sort']
# > shell env: ['EXTRA=1', 'GREETING=hello', 'MODE=debug', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']
# > shell labels: docs me
# > image still runs: ['httpd', '-f', '-p', '8080', '-h', '/srv']
# > image env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello', 'MODE=production']
# --8<-- [end:sdk]
