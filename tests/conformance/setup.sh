#!/usr/bin/env bash
# Installs the MCP conformance suite and the stdio to streamable HTTP bridge it is run through
# (package-lock.json pins both) into tests/conformance/node_modules when they are missing or
# older than package-lock.json. Node.js and npm come from tests/e2e/setup.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

stamp="node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ] \
   || [ ! -e node_modules/.bin/conformance ] || [ ! -e node_modules/.bin/supergateway ]; then
  echo "conformance setup: npm ci in $here" >&2
  npm ci --no-audit --no-fund
else
  echo "conformance setup: node_modules is up to date" >&2
fi
