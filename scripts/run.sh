#!/usr/bin/env bash
# Builds claude-jobs (installing what is missing) and runs it. With no arguments it serves
# MCP on stdin/stdout, which is what an MCP client starts; pass --selftest to check a setup.
# Everything but the server's own protocol goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLAUDE_JOBS_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh" >&2
if [[ ! -x "$build/bin/claude-jobs" || -n "$(find "$root/core" "$root/runner" "$root/plugins" "$root/sdk" -newer "$build/bin/claude-jobs" -print -quit 2>/dev/null)" ]]; then
  if [[ ! -x "$build/bin/claude-jobs" ]]; then
    echo "claude-jobs: building the server (Release) in $build; the first build takes a few" \
         "minutes (later ones rebuild only what changed)" >&2
  fi
  # Only what the server needs: no tests, benchmark, stand-ins or conformance kit.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCLAUDE_JOBS_BUILD_TESTS=OFF \
    -DCLAUDE_JOBS_BUILD_BENCH=OFF -DCLAUDE_JOBS_BUILD_KIT=OFF >&2
  cmake --build "$build" -j"$(nproc)" --target server >&2
fi
exec "$build/bin/claude-jobs" "$@"
