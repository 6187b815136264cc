#!/usr/bin/env bash
# Runs the official MCP conformance suite against a built claude-jobs. The suite speaks
# streamable HTTP and claude-jobs speaks stdio, so supergateway (stateful: one claude-jobs per
# HTTP session, messages passed through unchanged) stands in between, on a free port of
# 127.0.0.1. Every claude-jobs it starts shares one temporary state dir, with the stand-in
# claude configured, and an empty HOME.
#
#   run.sh BUILD_DIR            the scenarios that apply to claude-jobs (docs/protocol.md,
#                               "Conformance"); fails when one of them fails
#   run.sh BUILD_DIR --all      every server scenario of the suite, for a look: never fails
#   run.sh BUILD_DIR SCENARIO…  the scenarios named
#
# Needs node and tests/conformance/node_modules (setup.sh). Set CONFORMANCE_KEEP_TMP=1 to keep
# the state dir, the bridge's log and the suite's checks.json files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:?usage: run.sh BUILD_DIR [--all | SCENARIO...]}"
build="$(cd "$build" && pwd)"
shift

# The server scenarios that test what claude-jobs serves; the others need tools, resources or
# prompts of the suite's own reference server, or features claude-jobs does not offer.
applicable=(server-initialize ping tools-list resources-list server-sse-multiple-streams)

suite="$here/node_modules/.bin/conformance"
bridge="$here/node_modules/.bin/supergateway"
server="$build/bin/claude-jobs"
fake_claude="$build/bin/fake-claude"
for f in "$suite" "$bridge"; do
  [ -e "$f" ] || { echo "conformance: $f is missing: run tests/conformance/setup.sh" >&2; exit 1; }
done
for f in "$server" "$fake_claude"; do
  [ -x "$f" ] || { echo "conformance: $f is missing: build claude-jobs and fake-claude" >&2; exit 1; }
done

informational=0
if [ "${1:-}" = "--all" ]; then
  informational=1
  mapfile -t scenarios < <("$suite" list --server | sed -n 's/^  - \([^ ]*\).*/\1/p')
elif [ $# -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=("${applicable[@]}")
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cj-conformance-XXXXXX")"
mkdir -m 700 "$tmp/state" "$tmp/home"
printf '{"claude": {"path": "%s"}}\n' "$fake_claude" > "$tmp/config.json"

bridge_pid=""
cleanup() {
  if [ -n "$bridge_pid" ] && kill -0 "$bridge_pid" 2>/dev/null; then
    # The bridge ends the claude-jobs it started when it is told to stop.
    kill -TERM "$bridge_pid" 2>/dev/null || true
    wait "$bridge_pid" 2>/dev/null || true
  fi
  if [ -n "${CONFORMANCE_KEEP_TMP:-}" ]; then
    echo "conformance: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# One ended job, so that resources-list has a real entry to check (every server the bridge
# starts sees it: they share the state dir).
mkdir "$tmp/work"
job_id="$(HOME="$tmp/home" CLAUDE_ASYNC_JOB_DIR="$tmp/state" \
  "$server" --config "$tmp/config.json" start -C "$tmp/work" --label conformance "Say hello" 2>/dev/null)"
HOME="$tmp/home" CLAUDE_ASYNC_JOB_DIR="$tmp/state" \
  "$server" --config "$tmp/config.json" wait "$job_id" --timeout 30 > /dev/null

# A port the kernel had free a moment ago; the bridge failing to listen on it shows in its log.
port="$(node -e 'const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
url="http://127.0.0.1:$port/mcp"

printf -v server_cmd '%q --config %q' "$server" "$tmp/config.json"
HOME="$tmp/home" CLAUDE_ASYNC_JOB_DIR="$tmp/state" \
  "$bridge" --stdio "$server_cmd" --outputTransport streamableHttp --stateful \
  --port "$port" --healthEndpoint /healthz --logLevel info > "$tmp/bridge.log" 2>&1 &
bridge_pid=$!

# Ready when its health endpoint answers; give up after 20 s or when it has exited.
ready=0
deadline=$((SECONDS + 20))
while [ $SECONDS -lt $deadline ]; do
  if ! kill -0 "$bridge_pid" 2>/dev/null; then break; fi
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
       "http://127.0.0.1:$port/healthz"; then
    ready=1; break
  fi
  sleep 0.1
done
if [ $ready -ne 1 ]; then
  echo "conformance: the bridge did not come up on port $port; its log:" >&2
  tail -n 40 "$tmp/bridge.log" >&2
  exit 1
fi

failed=()
start=$SECONDS
for s in "${scenarios[@]}"; do
  if "$suite" server --url "$url" --scenario "$s" -o "$tmp/results" > "$tmp/$s.out" 2>&1; then
    echo "conformance: PASS $s"
  else
    failed+=("$s")
    echo "conformance: FAIL $s"
    if [ $informational -eq 0 ]; then
      sed -n '/^Checks:/,$p' "$tmp/$s.out" | head -n 60
    else
      grep -m 3 -E 'FAILURE|Failed' "$tmp/$s.out" | cut -c1-300 | sed 's/^/    /'
    fi
  fi
done
echo "conformance: ${#scenarios[@]} scenarios in $((SECONDS - start)) s, ${#failed[@]} failed"

if [ ${#failed[@]} -gt 0 ] && [ $informational -eq 0 ]; then
  echo "conformance: failed: ${failed[*]}; the bridge's log:" >&2
  tail -n 40 "$tmp/bridge.log" >&2
  exit 1
fi
