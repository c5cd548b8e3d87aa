"""Resource limits are cgroup settings, not a smaller machine (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk] proves: limits-are-cgroup-settings-not-virtualisation pids-limit-is-enforced proc-shows-the-engines-resources
client = docker.from_env()
engine = client.info()

box = client.containers.run(
    "busybox:1.35",
    "sleep 300",
    detach=True,
    mem_limit="64m",
    nano_cpus=500_000_000,  # --cpus 0.5
    pids_limit=10,
)
limits = box.attrs["HostConfig"]
print(
    "limits:",
    limits["Memory"],
    "bytes,",
    limits["NanoCpus"] / 1e9,
    "CPUs,",
    limits["PidsLimit"],
    "PIDs",
)

mem_total_kb = int(box.exec_run(["grep", "MemTotal", "/proc/meminfo"]).output.split()[1])
print("/proc/meminfo shows the engine's memory:", mem_total_kb * 1024 == engine["MemTotal"])
print("nproc shows the engine's CPUs:", int(box.exec_run("nproc").output) == engine["NCPU"])

forks = box.exec_run(["sh", "-c", "for i in $(seq 20); do sleep 5 >/dev/null 2>&1 & done"])
print("starting 20 processes:", forks.exit_code, forks.output.decode().strip())
box.remove(force=True)
# > limits: 67108864 bytes, 0.5 CPUs, 10 PIDs
# > /proc/meminfo shows the engine's memory: True
# > nproc shows the engine's CPUs: True
# > starting 20 processes: 2 sh: can't fork: Resource temporarily unavailable
# --8<-- [end:sdk]
