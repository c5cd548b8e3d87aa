#!/usr/bin/env bash
# The engine matrix: newer Docker engines from Debian's newer suites, side by side with the
# default one (bookworm's 20.10, started by scripts/docker-engine.sh).
#
#   bash scripts/engines.sh up [--] [NAME...]      start engines (default: all)
#   bash scripts/engines.sh down [--purge] [NAME...] stop engines this script started
#   bash scripts/engines.sh status                 state of each engine, path of engines.json
#   bash scripts/engines.sh env NAME               export lines for a shell: eval "$(... env 28.5)"
#
# NAME: 20.10 (left to docker-engine.sh), 26.1 (trixie), 28.5 (sid), 28.5-containerd (sid with
# the containerd image store). Binaries are downloaded once into the cache with a private apt
# state and extracted with dpkg-deb -x; nothing is installed into the system. Each new engine has
# its own socket, data root, exec root, bridge and address pool, binds published ports to
# 127.0.0.1 and leaves iptables to the default engine.
set -euo pipefail

readonly CACHE=${VERIFIED_DOCS_CACHE:-/var/cache/verified-docs}/engines
readonly STATE=${VERIFIED_DOCS_ENGINES:-/var/lib/verified-docs/engines}
readonly RUN=/run/vd
readonly LOGS=/var/log/verified-docs
readonly WAIT_SECONDS=${ENGINE_START_TIMEOUT:-60}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly ALL=(20.10 26.1 28.5 28.5-containerd)
readonly PACKAGES=(docker.io docker-cli docker-buildx containerd)  # not runc: see RUNC
# Neither trixie's nor sid's runc runs on glibc 2.36: bookworm's is the only runc on dockerd's PATH.
readonly RUNC=/usr/sbin/runc
declare -A SUITE=([26.1]=trixie [28.5]=sid [28.5-containerd]=sid)
declare -A BRIDGE=([26.1]=vd261 [28.5]=vd285 [28.5-containerd]=vd285c)
# Each engine owns 10.N.0.0/16: its bridge is 10.N.0.1/24, its networks come from 10.N.128.0/17.
declare -A NET=([26.1]=10.226 [28.5]=10.228 [28.5-containerd]=10.229)

die() { echo "$*" >&2; exit 1; }
is_new() { [[ -n ${SUITE[$1]:-} ]]; }
root_of() { echo "$CACHE/${SUITE[$1]}/root"; }
sock_of() { echo "$RUN/$1/docker.sock"; }
log_of() { echo "$LOGS/$1.log"; }
ready() { timeout 10 "$(root_of "$1")/usr/bin/docker" -H "unix://$(sock_of "$1")" info >/dev/null 2>&1; }

alive() {  # a zombie left by a killed process does not count
  local s
  s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $s && $s != Z && $s != X ]]
}

# The pid of this engine's dockerd, if one runs (its pid file names a live dockerd using our config).
dockerd_pid() {
  local pid
  pid=$(cat "$RUN/$1/docker.pid" 2>/dev/null) || return 1
  alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STATE/$1/daemon.json" && echo "$pid"
}

# Processes of one engine: dockerd, its containerd and shims (all name the exec root or config),
# and docker-proxy processes forwarding into the engine's subnet.
engine_pids() {
  local d pid exe cmd
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    case ${exe##*/} in dockerd|containerd|containerd-shim*|docker-proxy) ;; *) continue ;; esac
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    if [[ $cmd == *"$RUN/$1/"* || $cmd == *"$STATE/$1/daemon.json"* ||
          ($cmd == *docker-proxy* && $cmd == *"-container-ip ${NET[$1]}."*) ]]; then
      echo "$pid"
    fi
  done
}

# Mount points on and under a folder, deepest first.
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r; }

# Leave no trace of a running or killed engine except its data root: processes (containers
# first: killing a shim's children ends their pid namespaces), mounts, pid files, sockets, bridge.
clean_engine() {
  local name=$1 pid dir m br
  for pid in $(engine_pids "$name"); do pkill -KILL -P "$pid" 2>/dev/null || true; done
  for pid in $(engine_pids "$name"); do kill -KILL "$pid" 2>/dev/null || true; done
  for dir in "$RUN/$name" "$STATE/$name/data"; do
    for m in $(mounts_under "$dir"); do umount "$m" 2>/dev/null || umount -l "$m"; done
  done
  rm -f "$RUN/$name/docker.pid" "$RUN/$name/docker.sock" "$RUN/$name/exec/containerd/containerd.pid" \
    "$RUN/$name"/exec/containerd/containerd*.sock*
  ip link del "${BRIDGE[$name]}" 2>/dev/null || true
  # Bridges of the engine's user-defined networks (dockerd creates them again when it starts).
  for br in $(ip -4 -o addr show | awk -v p="${NET[$name]}." 'index($4, p) == 1 {print $2}'); do
    ip link del "$br" 2>/dev/null || true
  done
}

stop_engine() {
  local name=$1 pid deadline
  if pid=$(dockerd_pid "$name"); then
    kill -TERM "$pid"
    deadline=$((SECONDS + 30))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
  fi
  clean_engine "$name"
}

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list files).
debian_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE 'https?://[^][:space:]]+/debian/?([[:space:]]|$)' | tr -d '[:space:]' | head -n 1
}

# Download a suite's packages once into $CACHE/<suite> and extract them into root/.
fetch_suite() {
  local name=$1 suite=${SUITE[$1]} dir mirror start=$SECONDS
  dir=$CACHE/${SUITE[$1]}
  [[ -f $dir/root/.complete ]] && return 0
  mirror=$(debian_mirror) || true
  [[ -n $mirror ]] || die "engine $name: no Debian mirror found in /etc/apt/sources.list{,.d}"
  rm -rf "$dir/root" "$dir/debs"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache" "$dir/debs" "$dir/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} $suite main" >"$dir/apt/sources.list"
  : >"$dir/apt/status"
  local apt=(-o Dir::Etc::SourceList="$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null -o Dir::State::Lists="$dir/apt/lists"
    -o Dir::State::status="$dir/apt/status" -o Dir::Cache="$dir/apt/cache"
    -o Acquire::Languages=none -o APT::Sandbox::User=root)
  echo "Downloading ${PACKAGES[*]} from $suite ..."
  { apt-get "${apt[@]}" update && (cd "$dir/debs" && apt-get "${apt[@]}" download "${PACKAGES[@]}"); } \
    >"$dir/download.log" 2>&1 || die "engine $name: download of $suite packages failed; see $dir/download.log"
  local deb sep='' json='{'
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/root"
    json+="$sep\"$(dpkg-deb -f "$deb" Package)\": \"$(dpkg-deb -f "$deb" Version)\""; sep=', '
  done
  echo "$json}" >"$dir/versions.json"
  touch "$dir/root/.complete"
  echo "Downloaded $suite in $((SECONDS - start))s: $(cat "$dir/versions.json")"
}

# Daemon config and CLI setup (docker CLI and buildx plugin of the suite) for one engine.
configure_engine() {
  local name=$1 root features='{}'
  root=$(root_of "$name")
  [[ $name == *-containerd ]] && features='{"containerd-snapshotter": true}'
  mkdir -p "$RUN/$name" "$STATE/$name/data" "$STATE/$name/bin" "$STATE/$name/docker-config/cli-plugins" "$LOGS"
  ln -sfn "$root/usr/bin/docker" "$STATE/$name/bin/docker"
  ln -sfn "$root/usr/libexec/docker/cli-plugins/docker-buildx" "$STATE/$name/docker-config/cli-plugins/docker-buildx"
  cat >"$STATE/$name/daemon.json" <<EOF
{
  "hosts": ["unix://$(sock_of "$name")"],
  "data-root": "$STATE/$name/data",
  "exec-root": "$RUN/$name/exec",
  "pidfile": "$RUN/$name/docker.pid",
  "bridge": "${BRIDGE[$name]}",
  "default-address-pools": [{"base": "${NET[$name]}.128.0/17", "size": 24}],
  "ip": "127.0.0.1",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "userland-proxy-path": "$root/usr/sbin/docker-proxy",
  "features": $features
}
EOF
}

# Start dockerd in the background (own session, so it outlives this shell); sets PIDS[name].
declare -A PIDS
launch_engine() {
  local name=$1 root br=${BRIDGE[$1]} log
  root=$(root_of "$name") log=$(log_of "$name")
  if [[ -f $log ]]; then mv -f "$log" "$log.1"; fi
  { ip link add "$br" type bridge && ip addr add "${NET[$name]}.0.1/24" dev "$br" && ip link set "$br" up; } \
    2>>"$log" || die "engine $name: cannot set up bridge $br; see $log"
  # The suite's usr/bin first (its containerd and shim); its usr/sbin never (runc needs glibc 2.38).
  # fd 9 is the lock of this script: dockerd must not keep it.
  PATH="$root/usr/bin:${RUNC%/*}:/usr/sbin:/usr/bin:/sbin:/bin" \
    setsid "$root/usr/sbin/dockerd" --config-file "$STATE/$name/daemon.json" </dev/null >>"$log" 2>&1 9>&- &
  PIDS[$name]=$!
}

wait_engine() {
  local name=$1 pid=$2 deadline=$((SECONDS + WAIT_SECONDS))
  until ready "$name"; do
    alive "$pid" || { echo "engine $name: dockerd exited while starting; see $(log_of "$name")" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "engine $name: not ready after ${WAIT_SECONDS}s; see $(log_of "$name")" >&2; return 1; }
    sleep 0.5
  done
}

# The docker CLI for 20.10: the first on PATH that is not one of ours.
default_docker() {
  local d IFS=:
  for d in $PATH; do
    [[ $d != "$STATE"/* && -x $d/docker ]] && { echo "$d/docker"; return; }
  done
  echo /usr/bin/docker
}

# engines.json: how to reach each engine (for the test suite and for people).
write_json() {
  local name sep='' out="$CACHE/engines.json" docker pid
  {
    echo '{"engines": ['
    for name in "${ALL[@]}"; do
      if is_new "$name"; then
        pid=$(dockerd_pid "$name") || pid=null
        printf '%s  {"name": "%s", "suite": "%s", "DOCKER_HOST": "unix://%s", "docker": "%s", "DOCKER_CONFIG": "%s",\n' \
          "$sep" "$name" "${SUITE[$name]}" "$(sock_of "$name")" "$STATE/$name/bin/docker" "$STATE/$name/docker-config"
        printf '   "daemon_config": "%s", "data_root": "%s", "log": "%s", "pid": %s, "versions": %s}' \
          "$STATE/$name/daemon.json" "$STATE/$name/data" "$(log_of "$name")" "$pid" \
          "$(cat "$CACHE/${SUITE[$name]}/versions.json" 2>/dev/null || echo null)"
      else
        docker=$(default_docker)
        pid=$(cat /var/run/docker.pid 2>/dev/null) && alive "$pid" || pid=null
        printf '%s  {"name": "20.10", "suite": "bookworm", "DOCKER_HOST": "unix:///var/run/docker.sock", "docker": "%s", "DOCKER_CONFIG": null,\n' \
          "$sep" "$docker"
        printf '   "daemon_config": null, "data_root": "/var/lib/docker", "log": "%s", "pid": %s, "versions": {%s}}' \
          "${DOCKERD_LOG:-/var/log/dockerd-verified-docs.log}" "$pid" \
          "$(dpkg-query -W -f='"${Package}": "${Version}", ' docker.io containerd runc 2>/dev/null | sed 's/, $//')"
      fi
      sep=$',\n'
    done
    printf '\n]}\n'
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

check_names() {
  local n
  for n in "$@"; do [[ $n == --purge || " ${ALL[*]} " == *" $n "* ]] || die "unknown engine '$n' (engines: ${ALL[*]})"; done
}
names_or_all() { if (($#)); then printf '%s\n' "$@"; else printf '%s\n' "${ALL[@]}"; fi; }

cmd_up() {
  local name failed=0 started=()
  for name in $(names_or_all "$@"); do
    if [[ $name == 20.10 ]]; then
      # Without our DOCKER_HOST: docker-engine.sh asks the default socket.
      env -u DOCKER_HOST -u DOCKER_CONTEXT bash "$HERE/docker-engine.sh" >/dev/null 9>&- || die "engine 20.10: scripts/docker-engine.sh failed"
      continue
    fi
    fetch_suite "$name"
    if dockerd_pid "$name" >/dev/null && ready "$name"; then continue; fi
    clean_engine "$name"  # whatever a killed engine left behind
    configure_engine "$name"
    launch_engine "$name"
    started+=("$name")
  done
  for name in "${started[@]}"; do wait_engine "$name" "${PIDS[$name]}" || failed=1; done
  write_json
  ((failed == 0)) || exit 1
  cmd_status "$@"
}

cmd_down() {
  local name purge=0
  [[ ${1:-} == --purge ]] && { purge=1; shift; }
  for name in $(names_or_all "$@"); do
    if ! is_new "$name"; then
      (($#)) && echo "engine 20.10 belongs to scripts/docker-engine.sh; left running" >&2
      continue
    fi
    stop_engine "$name"
    ((purge == 0)) || rm -rf "$STATE/$name/data"
  done
  write_json
}

cmd_status() {
  local name version
  for name in $(names_or_all "$@"); do
    if is_new "$name"; then
      version=$(timeout 10 "$STATE/$name/bin/docker" -H "unix://$(sock_of "$name")" version \
        --format '{{.Server.Version}}' 2>/dev/null) || version=down
    else
      version=$(DOCKER_HOST=unix:///var/run/docker.sock timeout 10 "$(default_docker)" version --format '{{.Server.Version}}' 2>/dev/null) || version=down
    fi
    printf '%-16s %-22s %s\n' "$name" "$version" "$(cmd_env "$name" | head -n 1 | cut -d= -f3)"
  done
  if [[ -f $CACHE/engines.json ]]; then echo "engines.json: $CACHE/engines.json"; fi
}

cmd_env() {
  local name=${1:-}
  [[ -n $name ]] || die "usage: engines.sh env NAME (engines: ${ALL[*]})"
  check_names "$name"
  if is_new "$name"; then
    echo "export VERIFIED_DOCS_ENGINE=$name DOCKER_HOST=unix://$(sock_of "$name")"
    echo "export DOCKER_CONFIG=$STATE/$name/docker-config"
    echo "export PATH=$STATE/$name/bin:\"\$PATH\""
  else
    local docker
    docker=$(default_docker)
    echo "export VERIFIED_DOCS_ENGINE=$name DOCKER_HOST=unix:///var/run/docker.sock"
    echo "unset DOCKER_CONFIG"
    echo "export PATH=${docker%/*}:\"\$PATH\""
  fi
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up|down) [[ $EUID -eq 0 ]] || die "engines.sh $cmd: run as root"
      mkdir -p "$RUN" "$CACHE"
      exec 9>"$RUN/.lock"; flock -w 300 9 || die "engines.sh: another engines.sh holds $RUN/.lock"
      [[ ${1:-} == -- ]] && shift
      check_names "$@"
      "cmd_$cmd" "$@" ;;
    status) check_names "$@"; cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    *) sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
}

main "$@"
