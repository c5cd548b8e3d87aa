"""Run by tests/reliability: creates one of everything and leaves it for the verifier to reap."""

import os
import time
import uuid
from pathlib import Path

import pytest

from verified_docs.engines import LABELS


def make_everything(docker_client, busybox):
    suffix = uuid.uuid4().hex[:8]
    docker_client.containers.run(busybox, "sleep 300", detach=True, name=f"leak-{suffix}")
    docker_client.volumes.create(f"leak-{suffix}", labels=LABELS)
    docker_client.networks.create(f"leak-{suffix}", labels=LABELS)
    docker_client.containers.run(busybox, "true", name=f"leak-exited-{suffix}")
    box = docker_client.containers.create(busybox, "true")
    box.commit(repository=f"leak-{suffix}", tag="committed")


def test_passes_and_leaves_resources(docker_client, busybox):
    make_everything(docker_client, busybox)


def test_fails_and_leaves_resources(docker_client, busybox):
    make_everything(docker_client, busybox)
    pytest.fail("this scenario fails on purpose")


def test_is_killed_while_holding_resources(docker_client, busybox):
    make_everything(docker_client, busybox)
    Path(os.environ["VERIFIED_DOCS_SCENARIO_READY"]).write_text("ready")
    time.sleep(300)  # the supervising test kills this process with SIGKILL
