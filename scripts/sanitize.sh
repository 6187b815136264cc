#!/usr/bin/env bash
# The tests under the sanitizers, each in a clang build of its own:
#   BUILD-asan  AddressSanitizer with UndefinedBehaviorSanitizer: the unit and integration tests
#   BUILD-tsan  ThreadSanitizer: the unit tests
# clang links a sanitizer's runtime into each executable and not into the modules it loads, so
# the runner needs nothing new inside the container backend's test image. Both are unity builds
# (16 sources compiled as one), which take a third of the time on a small machine; so names
# private to a source file must differ from those of the other files of its target.
# Every process the tests start (server, runner, the tmux helper, the stand-in claude) writes its
# reports into one folder, and any report there fails the run, also one from a detached process
# no test waits for. Leaks are checked with tests/sanitize/lsan.supp (the module handles the
# server keeps open on purpose) and nothing else.
# Usage: scripts/sanitize.sh MAIN_BUILD_DIR [asan] [tsan]   (default: both)
# MAIN_BUILD_DIR is the tests' ordinary build, set up for the container tests already (its
# containers.conf and local images are reused).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
main="$(cd "${1:?usage: sanitize.sh MAIN_BUILD_DIR [asan] [tsan]}" && pwd)"
shift
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)

# The install, package and build-script tests check files, not code: they stay in the main run.
not_code='^(install_layout_selftest|run_script_builds_only_the_server|package_deb_selftest|third_party_backend)$'

# run_sanitized KIND SANITIZERS LABELS TARGETS...
run_sanitized() {
  local kind="$1" sanitizers="$2" labels="$3"
  shift 3
  local build="$main-$kind" started=$SECONDS
  echo "sanitize: $kind ($sanitizers), building ${*}" >&2
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DCLAUDE_JOBS_SANITIZE="$sanitizers" -DCLAUDE_JOBS_WARNINGS_AS_ERRORS=ON \
        -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
  cmake --build "$build" -j"$(nproc)" --target "$@"
  mkdir -p "$build/container-test"
  cp "$main/container-test/containers.conf" "$build/container-test/"

  local reports="$build/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  local status=0
  (
    cd "$build"
    export ASAN_OPTIONS="log_path=$reports/report:detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$reports/report:print_stacktrace=1:halt_on_error=1"
    export TSAN_OPTIONS="log_path=$reports/report:halt_on_error=1:second_deadlock_stack=1"
    ctest --output-on-failure --timeout 600 -L "$labels" -E "$not_code" -j2
  ) || status=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitize: $kind: reports from the processes the tests ran:" >&2
    for report in "$reports"/*; do echo "--- $report" >&2; cat "$report" >&2; done
    status=1
  fi
  echo "sanitize: $kind took $((SECONDS - started)) s" >&2
  return "$status"
}

for kind in "${kinds[@]}"; do
  case "$kind" in
    asan) run_sanitized asan address,undefined 'unit|integration' unit_tests integration_tests \
            container_unit_tests broken_backend_conformance slurm_unit_tests \
            slurm_integration_tests ;;
    tsan) run_sanitized tsan thread 'unit' unit_tests container_unit_tests \
            broken_backend_conformance slurm_unit_tests ;;
    *) echo "sanitize: unknown kind $kind (asan or tsan)" >&2; exit 2 ;;
  esac
done
