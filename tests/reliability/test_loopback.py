"""What the suite listens on is reachable from this machine only."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from tests.proofs.registry import running_registry

LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Addresses with a TCP socket listening on `port`, read from the kernel's tables."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            words = struct.unpack(f"<{len(raw) // 4}I", raw)
            found.add(socket.inet_ntop(family, struct.pack(f">{len(words)}I", *words)))
    return found


def test_the_registry_listens_on_loopback_only():
    with running_registry() as registry:
        port = int(registry.address.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"127.0.0.1"}


@pytest.mark.parametrize("publish", ["127.0.0.1::8080", "127.0.0.1:0:8080"])
def test_published_ports_listen_on_loopback_only(docker_client, busybox, publish):
    host_ip, host_port, container_port = publish.split(":")
    box = docker_client.containers.run(
        busybox,
        ["httpd", "-f", "-p", container_port, "-h", "/tmp"],
        detach=True,
        ports={f"{container_port}/tcp": (host_ip, int(host_port or 0) or None)},
    )
    try:
        box.reload()
        bindings = box.attrs["NetworkSettings"]["Ports"][f"{container_port}/tcp"]
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        assert listening_addresses(int(bindings[0]["HostPort"])) == {"127.0.0.1"}
    finally:
        box.remove(force=True)
