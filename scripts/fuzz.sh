#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (tests/fuzz) and runs each for a bounded time from
# the seed corpus in the repository. Usage: scripts/fuzz.sh [seconds per target, default 30]
# [build dir]. New inputs the fuzzer finds go to a scratch copy, never into the repository;
# a crash leaves its input in the build dir and fails the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
build="${2:-$root/build-fuzz}"

cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
for target in jsonrpc config events; do
  corpus="$build/corpus-$target"
  rm -rf "$corpus" && mkdir -p "$corpus"
  cp "$root/tests/fuzz/corpus/$target/"* "$corpus/"
  echo "fuzz: $target for ${seconds}s" >&2
  (cd "$build" && "./fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 "$corpus")
done
