#!/usr/bin/env bash
# Make a Docker engine available for the verification suite, then print its version.
#   - If `docker info` already works, use that engine.
#   - On Debian as root, install docker.io and the suite's OS packages, then start dockerd.
#   - Anywhere else, print one line saying how to start Docker, and fail.
set -euo pipefail

readonly WAIT_SECONDS=${DOCKER_START_TIMEOUT:-60}
readonly LOG=${DOCKERD_LOG:-/var/log/dockerd-verified-docs.log}
# The engine's own bridge, not docker0: newer engines started beside it (scripts/engines.sh)
# delete an interface named docker0 when they start with their own address pools (moby's
# configureNetworking removes the default bridge interface in that case).
readonly BRIDGE=vd2010 BRIDGE_ADDRESS=10.220.0.1/16
# OS packages the suite needs besides the engine: the static busybox for base images, a local
# registry for registry lessons, Chromium for browser checks, openssl for the loopback TLS check.
readonly PACKAGES=(docker.io busybox-static docker-registry chromium git iproute2 openssl)

engine_ready() { timeout 10 docker info >/dev/null 2>&1; }

# True when the pid names a live process (a zombie left by a killed daemon does not count).
process_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

print_version() {
  docker version --format 'Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}}, {{.Server.Os}}/{{.Server.Arch}})'
}

install_packages() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_dockerd() {
  # A killed dockerd leaves pid files behind that stop the next one from starting.
  for pidfile in /var/run/docker.pid /run/docker/containerd/containerd.pid; do
    if [[ -f $pidfile ]] && ! process_alive "$(cat "$pidfile")"; then
      echo "Removing stale $pidfile"
      rm -f "$pidfile"
    fi
  done
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDRESS" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  # Published ports bind to 127.0.0.1 unless a command names another address.
  nohup dockerd --ip 127.0.0.1 --bridge "$BRIDGE" >"$LOG" 2>&1 &
  local dockerd_pid=$! deadline=$((SECONDS + WAIT_SECONDS))
  until engine_ready; do
    if ! process_alive "$dockerd_pid"; then
      echo "dockerd exited while starting; last lines of $LOG:" >&2
      tail -n 20 "$LOG" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "dockerd did not become ready within ${WAIT_SECONDS}s; last lines of $LOG:" >&2
      tail -n 20 "$LOG" >&2
      exit 1
    fi
    sleep 1
  done
}

main() {
  local os_id=""
  [[ -r /etc/os-release ]] && os_id=$(. /etc/os-release && echo "${ID:-}")
  if [[ $os_id == debian && $EUID -eq 0 ]]; then
    install_packages
  fi
  if ! engine_ready; then
    if [[ $os_id != debian || $EUID -ne 0 ]]; then
      echo "No Docker engine answers 'docker info'. Start Docker Desktop or 'sudo systemctl start docker', then retry." >&2
      exit 1
    fi
    start_dockerd
  fi
  print_version
}

main "$@"
