#!/usr/bin/env bash
# Installs the e2e tests' npm dependencies (the MCP SDK and the claude CLI) into
# tests/e2e/node_modules when they are missing or older than package-lock.json.
# Installs Node.js and npm from the system's packages first if node is not there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "e2e setup: installing nodejs and npm" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq nodejs npm
fi

stamp="node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ] \
   || [ ! -x node_modules/.bin/claude ]; then
  echo "e2e setup: npm ci in $here" >&2
  npm ci --no-audit --no-fund
else
  echo "e2e setup: node_modules is up to date" >&2
fi

# The CLI package places its native binary from a postinstall script: prove it is there.
node_modules/.bin/claude --version >/dev/null
