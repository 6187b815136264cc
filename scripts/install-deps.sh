#!/usr/bin/env bash
# Installs what building (and, with --test, testing) claude-jobs needs on Debian/Ubuntu,
# only when it is missing. Output goes to stderr: this may run in front of an MCP server.
set -euo pipefail

want_tests=0
[[ "${1:-}" == "--test" ]] && want_tests=1

packages=(cmake g++ make pkg-config libboost1.81-dev nlohmann-json3-dev libspdlog-dev libsqlite3-dev
  libcli11-dev)
if (( want_tests )); then
  packages+=(libgtest-dev tmux git dpkg-dev)  # dpkg-dev: the .deb's library dependencies
  packages+=(clang libclang-rt-14-dev)        # the fuzz targets (libFuzzer)
  packages+=(slurmctld slurmd slurm-client munge)  # the slurm backend's private test cluster
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A compiler or node installed some other way counts as present.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    g++) command -v g++ >/dev/null 2>&1 || filtered+=("$p") ;;
    cmake) command -v cmake >/dev/null 2>&1 || filtered+=("$p") ;;
    make) command -v make >/dev/null 2>&1 || filtered+=("$p") ;;
    *) filtered+=("$p") ;;
  esac
done
missing=("${filtered[@]+"${filtered[@]}"}")

if (( ${#missing[@]} )); then
  echo "claude-jobs: installing ${missing[*]}" >&2
  sudo=""
  (( EUID != 0 )) && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
