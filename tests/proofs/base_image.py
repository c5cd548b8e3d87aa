"""Base images, provisioned with no registry.

Snippets name the images readers pull (for example `busybox:1.35`). The suite stands in a
local image of the same software for each, labelled for clean-up, and records how it got it.
A pull is tried only when VERIFIED_DOCS_BASE_REGISTRY names a registry that answers within two
seconds; otherwise the image is built from the OS's static binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from testcontainers.core.image import DockerImage

from verified_docs.engines import LABELS, PROJECT, RUN_ID

BUSYBOX_REF = "busybox:1.35"  # what the snippets say
BUSYBOX_BINARY = Path("/bin/busybox")
REGISTRY_ANSWER_SECONDS = 2.0


@dataclass(frozen=True)
class BaseImage:
    reader_ref: str  # the reference a reader uses, as written in the snippets
    local_ref: str  # the run's own stand-in
    id: str
    obtained: str  # how the suite got it, for the report

    def provenance(self) -> dict[str, Any]:
        return {"stands_for": self.reader_ref, "id": self.id, "obtained": self.obtained}


def _package_version(package: str) -> str:
    try:
        return subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown version"


def _registry_answers(registry: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/", timeout=REGISTRY_ANSWER_SECONDS):
            return True
    except OSError:
        return False


def _pull_and_label(client: docker.DockerClient, registry: str, local_ref: str) -> str:
    """Pull from an answering registry, then add the run's labels in a config-only image."""
    upstream = f"{registry}/{BUSYBOX_REF}"
    client.images.pull(upstream)
    with tempfile.TemporaryDirectory() as context:
        Path(context, "Dockerfile").write_text(f"FROM {upstream}\n")
        image, _ = client.images.build(path=context, tag=local_ref, labels=LABELS, pull=False)
    return image.id


def busybox_rootfs(rootfs: Path) -> None:
    """/bin/busybox, a link per applet (as `busybox --install -s` makes), /tmp and /root: the
    files of Docker Hub's one-layer busybox image, from Debian's static binary."""
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX_BINARY, rootfs / "bin" / "busybox")
    applets = subprocess.run(
        [str(BUSYBOX_BINARY), "--list"], capture_output=True, text=True, check=True, timeout=10
    ).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    for folder, mode in (("tmp", 0o1777), ("root", 0o700)):
        (rootfs / folder).mkdir()
        (rootfs / folder).chmod(mode)


def provision_busybox(client: docker.DockerClient, dockerfile: Path) -> BaseImage:
    """The stand-in for `busybox:1.35`, built from `dockerfile` (or pulled, see above)."""
    local_ref = f"{PROJECT}/busybox:{RUN_ID}-{os.getpid()}"
    registry = os.environ.get("VERIFIED_DOCS_BASE_REGISTRY", "")
    started = time.monotonic()
    if registry and _registry_answers(registry):
        image_id = _pull_and_label(client, registry, local_ref)
        how = f"pulled from {registry}"
    else:
        if not BUSYBOX_BINARY.is_file():
            raise RuntimeError(
                f"{BUSYBOX_BINARY} is missing: install Debian's busybox-static "
                "(scripts/docker-engine.sh does) or set VERIFIED_DOCS_BASE_REGISTRY"
            )
        with tempfile.TemporaryDirectory() as context:
            shutil.copy2(dockerfile, context)
            busybox_rootfs(Path(context, "rootfs"))
            # No cache: identical builds would share one image, which a parallel run's
            # clean-up can delete from under this build's cache ("failed to get digest").
            built = DockerImage(
                path=context, tag=local_ref, clean_up=False, labels=LABELS, no_cache=True
            )
            built.build()
            image_id = built.get_wrapped_image().id
        how = (
            "built in one layer FROM scratch with snippets/base-image/Dockerfile and Debian "
            "busybox-static "
            f"{_package_version('busybox-static')}"
        )
    seconds = time.monotonic() - started
    return BaseImage(BUSYBOX_REF, local_ref, image_id, f"{how} in {seconds:.1f} s")
