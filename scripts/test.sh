#!/usr/bin/env bash
# Builds claude-jobs with its tests and runs them all: unit, integration (the built binary
# over stdio), and end to end (the official MCP TypeScript SDK, and the real Claude Code CLI
# against a fake Messages API served on 127.0.0.1; the official MCP conformance suite through a
# stdio to HTTP bridge), then the fuzz targets for a bounded time,
# then the unit and integration tests again under AddressSanitizer and UndefinedBehaviorSanitizer
# and the unit tests under ThreadSanitizer (scripts/sanitize.sh).
# Installs what is missing first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CLAUDE_JOBS_TEST_BUILD_DIR:-$root/build-test}"

bash "$root/scripts/install-deps.sh" --test
bash "$root/tests/e2e/setup.sh"
bash "$root/tests/conformance/setup.sh"
# Unoptimized: the tests check behaviour, not speed (bench/ measures speed on a Release
# build), and an optimized build of everything takes twice as long on a small machine.
# A unity build (16 sources compiled as one), like the sanitized ones: 2.5 min instead of 6.5
# on two cores. scripts/run.sh builds the server file by file.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCLAUDE_JOBS_WARNINGS_AS_ERRORS=ON \
      -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16
cmake --build "$build" -j"$(nproc)"
bash "$root/tests/container/setup.sh" "$build"
cd "$build"
ctest --output-on-failure --timeout 600 "$@"
# Each reader of outside input under libFuzzer (with ASan and UBSan) for a bounded time.
bash "$root/scripts/fuzz.sh" "${CLAUDE_JOBS_FUZZ_SECONDS:-20}" "$build-fuzz"
# The same tests in sanitized builds of their own (clang): memory, undefined behaviour, races.
bash "$root/scripts/sanitize.sh" "$build"
