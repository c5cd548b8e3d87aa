"""Proofs for docs/containers/resources.md."""

import time

import pytest

from .container_helpers import sh

PRECISE = "limits-are-cgroup-settings-not-virtualisation"
MIB_64 = 64 * 1024 * 1024
EXEC_ATTEMPTS = 3


def ask(container, script):
    """`sh` for a script that always prints: asked again when the exec's output is lost under
    load (exit code 0, no output: docker/docker-py#2042)."""
    for _ in range(EXEC_ATTEMPTS):
        code, out = sh(container, script)
        if out:
            break
    return code, out


# What the container sees at /sys/fs/cgroup: on cgroup v1 one directory per controller, on
# cgroup v2 (with the private cgroup namespace that Docker uses there) one unified directory.
CGROUP_FILES = {
    "1": {
        "memory": ["memory/memory.limit_in_bytes"],
        "cpu": ["cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us"],
        "pids": ["pids/pids.max"],
    },
    "2": {"memory": ["memory.max"], "cpu": ["cpu.max"], "pids": ["pids.max"]},
}
UNLIMITED_MEMORY = {"1": "9223372036854771712", "2": "max"}  # v1: the largest page-aligned value
NO_CPU_QUOTA = {"1": "-1", "2": "max"}


@pytest.fixture(scope="module")
def cgroup_version(docker_client):
    return str(docker_client.info().get("CgroupVersion", "1"))


def read_cgroup(container, version, controller):
    paths = " ".join(f"/sys/fs/cgroup/{p}" for p in CGROUP_FILES[version][controller])
    code, out = ask(container, f"cat {paths}")
    assert code == 0, out
    return out.split()


@pytest.mark.claim("no-limits-by-default", "lifecycle-independent-unless-shared")
def test_a_default_container_has_no_limits(containers, cgroup_version):
    unlimited = containers()
    limits = unlimited.attrs["HostConfig"]
    assert (limits["Memory"], limits["NanoCpus"], limits["CpuQuota"]) == (0, 0, 0)
    assert limits["PidsLimit"] in (None, 0, -1)
    assert read_cgroup(unlimited, cgroup_version, "memory") == [UNLIMITED_MEMORY[cgroup_version]]
    assert read_cgroup(unlimited, cgroup_version, "cpu")[0] == NO_CPU_QUOTA[cgroup_version]
    assert read_cgroup(unlimited, cgroup_version, "pids") == ["max"]


@pytest.fixture(scope="module")
def limited(docker_client, busybox_image):
    box = docker_client.containers.run(
        busybox_image.local_ref,
        "sleep 300",
        detach=True,
        mem_limit="64m",
        nano_cpus=500_000_000,
        pids_limit=10,
    )
    yield box
    box.remove(force=True)


@pytest.mark.claim(PRECISE, "memory-limit-is-written-to-the-cgroup")
def test_memory_limit_is_the_cgroups_limit(limited, cgroup_version, busybox):
    assert limited.attrs["HostConfig"]["Memory"] == MIB_64
    assert read_cgroup(limited, cgroup_version, "memory") == [str(MIB_64)]


@pytest.mark.claim(PRECISE, "cpu-limit-is-a-cfs-quota")
def test_cpus_limit_is_a_cfs_quota_per_period(limited, cgroup_version, busybox, evidence):
    nano_cpus = limited.attrs["HostConfig"]["NanoCpus"]
    quota_and_period = read_cgroup(limited, cgroup_version, "cpu")
    evidence("NanoCpus; CFS quota and period (µs)", f"{nano_cpus}; {' '.join(quota_and_period)}")
    assert nano_cpus == 500_000_000
    assert quota_and_period == ["50000", "100000"]


@pytest.mark.claim(PRECISE, "cpu-limit-is-a-cfs-quota")
def test_a_process_over_its_cpu_quota_is_throttled(docker_client, busybox, cgroup_version):
    # A tenth of a CPU: 10 ms per 100 ms period, which a busy loop exceeds even on a loaded
    # machine. The container runs the loop, then prints its cgroup's CPU statistics.
    stat = f"/sys/fs/cgroup/{'cpu/' if cgroup_version == '1' else ''}cpu.stat"
    script = f'timeout 0.3 sh -c "while :; do :; done"; cat {stat}'
    out = docker_client.containers.run(
        busybox, ["sh", "-c", script], nano_cpus=100_000_000, remove=True
    ).decode()
    counters = dict(line.split() for line in out.splitlines() if line.count(" ") == 1)
    assert int(counters["nr_throttled"]) > 0


@pytest.mark.claim(PRECISE, "proc-shows-the-engines-resources")
def test_proc_shows_the_engines_memory_and_cpus_despite_limits(
    docker_client, containers, shared_box, tmp_path
):
    # tmp_path: where a falsifier puts a /proc/meminfo that shows the limit, as lxcfs does.
    info = docker_client.info()
    seen = containers(mem_limit="64m", nano_cpus=500_000_000)
    for box in (seen, shared_box):
        mem_total_kb = int(ask(box, "grep MemTotal /proc/meminfo")[1].split()[1])
        assert mem_total_kb * 1024 == info["MemTotal"]
        assert int(ask(box, "nproc")[1]) == info["NCPU"]
    assert info["MemTotal"] > 4 * MIB_64  # so the equality above is not the limit in disguise


@pytest.mark.claim(PRECISE, "pids-limit-is-enforced")
def test_pids_limit_stops_forks(limited, cgroup_version, busybox):
    assert limited.attrs["HostConfig"]["PidsLimit"] == 10
    assert read_cgroup(limited, cgroup_version, "pids") == ["10"]
    code, out = sh(
        limited, "for i in $(seq 20); do sleep 2 >/dev/null 2>&1 & done; echo all started"
    )
    assert code != 0
    assert "can't fork" in out
    assert "all started" not in out


def oom_killed(container):
    container.reload()
    return container.attrs["State"]["OOMKilled"]


@pytest.mark.claim(PRECISE, "memory-limit-is-enforced-by-the-oom-killer")
def test_exceeding_memory_and_swap_limit_gets_the_container_oom_killed(docker_client, containers):
    if not docker_client.info()["SwapLimit"]:
        # The claim is stated for kernels that account swap; without it the engine drops the
        # swap limit and the process may swap. A run that can't prove a claim fails, not skips.
        pytest.fail("this engine's kernel does not account swap (SwapLimit: false)", pytrace=False)
    hungry = containers(
        ["sh", "-c", "x=a; while :; do x=$x$x; done"], mem_limit="32m", memswap_limit="32m"
    )
    assert hungry.attrs["HostConfig"]["MemorySwap"] == 32 * 1024 * 1024
    assert hungry.wait(timeout=60)["StatusCode"] == 137
    # The engine learns of the OOM kill from its own event, which on a busy machine can
    # arrive a moment after the exit: allow it a bounded wait.
    deadline = time.monotonic() + 10
    while not oom_killed(hungry) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert oom_killed(hungry) is True
