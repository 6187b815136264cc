#!/usr/bin/env bash
# Builds claude-jobs (installing what is missing) and runs it. With no arguments it serves
# MCP on stdin/stdout, which is what an MCP client starts; pass --selftest to check a setup.
# Everything but the server's own protocol goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLAUDE_JOBS_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh" >&2
if [[ ! -x "$build/bin/claude-jobs" || -n "$(find "$root/core" "$root/runner" "$root/plugins" "$root/sdk" -newer "$build/bin/claude-jobs" -print -quit 2>/dev/null)" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCLAUDE_JOBS_BUILD_TESTS=OFF >&2
  cmake --build "$build" -j"$(nproc)" >&2
fi
exec "$build/bin/claude-jobs" "$@"
