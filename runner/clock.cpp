// The runner's clocks (see clock.h).
#include "runner/clock.h"

#include <ctime>

namespace cj::runner {

namespace {

std::int64_t clock_ms(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

std::int64_t wall_ms() {
    return clock_ms(CLOCK_REALTIME);
}

std::int64_t monotonic_ms() {
    return clock_ms(CLOCK_MONOTONIC);
}

}  // namespace cj::runner
