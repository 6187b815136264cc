#!/usr/bin/env bash
# Prepares what the container backend's tests need, only when it is missing or stale:
#   - podman and runc (from Debian's packages),
#   - BUILD/container-test/containers.conf (runc, and resource limits this machine allows),
#   - two local images, assembled without pulling anything (no registry is reachable):
#       localhost/claude-jobs-test:stand-in    bash, coreutils, grep, sed, glibc, libstdc++
#                                              and the suite's fake-claude as /usr/local/bin/claude
#       localhost/claude-jobs-test:claude-cli  the same base and the real Claude Code binary
#                                              from tests/e2e/node_modules as /usr/local/bin/claude
# Each image carries a label with a hash of what went into it, and is rebuilt when that changes.
# Usage: tests/container/setup.sh BUILD_DIR   (after the build: fake-claude must exist)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$(cd "${1:?usage: setup.sh BUILD_DIR}" && pwd)"
work="$build/container-test"
mkdir -p "$work"
log() { echo "container test setup: $*" >&2; }

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  log "installing podman and runc"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq podman runc >&2
fi

cat > "$work/containers.conf" <<'CONF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
CONF
export CONTAINERS_CONF="$work/containers.conf"

packages=(libc6 libgcc-s1 libstdc++6 gcc-12-base bash libtinfo6 coreutils libacl1 libattr1
          libgmp10 libselinux1 libpcre2-8-0 grep sed)
fake_claude="$build/bin/fake-claude"
real_claude="$root/tests/e2e/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
[ -x "$fake_claude" ] || { log "missing $fake_claude: build first"; exit 1; }

# The versions apt would download name the packages' content; the script names the recipe.
candidates() { apt-cache policy "${packages[@]}" 2>/dev/null | awk '/^[^ ]/{p=$1} /Candidate:/{print p, $2}'; }
versions="$(candidates)"
if [ "$(grep -vc '(none)' <<<"$versions")" -ne "${#packages[@]}" ]; then
  log "refreshing the package lists"
  apt-get update -qq >&2
  versions="$(candidates)"
fi
base_hash="$( { echo "$versions"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"

image_hash() { podman image inspect --format '{{index .Labels "claude-jobs.test-hash"}}' "$1" 2>/dev/null || true; }

rootfs="$work/rootfs-$base_hash"
make_rootfs() {
  [ -d "$rootfs/usr" ] && return
  local debs="$work/debs"
  rm -rf "$debs" "$work"/rootfs-*; mkdir -p "$debs" "$rootfs.tmp"
  log "downloading ${packages[*]}"
  if ! (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${packages[@]}" >&2); then
    apt-get update -qq >&2
    (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${packages[@]}" >&2)
  fi
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$rootfs.tmp"; done
  mkdir -p "$rootfs.tmp"/{tmp,root,home/claude,etc,proc,sys,dev,run}
  chmod 1777 "$rootfs.tmp/tmp" "$rootfs.tmp/home/claude"
  printf 'root:x:0:0:root:/root:/bin/bash\n' > "$rootfs.tmp/etc/passwd"
  printf 'root:x:0:\n' > "$rootfs.tmp/etc/group"
  ldconfig -r "$rootfs.tmp" 2>/dev/null || true
  rm -rf "$debs"
  mv "$rootfs.tmp" "$rootfs"
}

# build_image TAG HASH CLAUDE_BINARY
build_image() {
  local tag="$1" hash="$2" claude="$3"
  if [ "$(image_hash "$tag")" = "$hash" ]; then log "$tag is up to date"; return; fi
  make_rootfs
  local started=$SECONDS
  install -D -m 0755 "$claude" "$rootfs/usr/local/bin/claude"
  tar -C "$rootfs" -c . | podman import --quiet \
      --change 'ENV=PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
      --change 'ENV=HOME=/home/claude' \
      --change "LABEL=claude-jobs.test-hash=$hash" \
      - "$tag" >/dev/null
  rm -f "$rootfs/usr/local/bin/claude"
  log "built $tag in $((SECONDS - started)) s"
}

build_image localhost/claude-jobs-test:stand-in \
  "$base_hash-$(sha256sum "$fake_claude" | cut -c1-16)" "$fake_claude"

if [ -x "$real_claude" ]; then
  # The binary is large: hash its size and time rather than its content.
  build_image localhost/claude-jobs-test:claude-cli \
    "$base_hash-$(stat -c '%s-%Y' "$real_claude")" "$real_claude"
else
  log "no Claude Code binary at $real_claude (run tests/e2e/setup.sh): the claude-cli image is not built"
fi
# Images of older recipes are left dangling by a rebuild: drop them.
podman image prune -f >/dev/null 2>&1 || true
