#include "core/cli/transition_follow.h"

#include <cstdlib>
#include <thread>

namespace cj::cli {

namespace {
constexpr int kBatch = 200;
}  // namespace

bool TransitionFilter::matches(const jobs::Transition& t) const {
    if (!jobId.empty() && t.jobId != jobId) return false;
    return session.empty() || t.ownerSession == session;
}

claude_jobs::Result<std::int64_t> follow_transitions(
    jobs::JobIndex& index, std::int64_t after, bool follow, const std::function<bool()>& stop,
    const std::function<bool(const jobs::Transition&)>& each) {
    while (!stop()) {
        auto batch = index.transitions_after(after, kBatch);
        if (!batch) return batch.error();
        for (const auto& t : *batch) {
            after = t.seq;
            if (!each(t)) return after;
        }
        if (batch->size() == static_cast<std::size_t>(kBatch)) continue;
        if (!follow) break;
        std::this_thread::sleep_for(kFollowPoll);
    }
    return after;
}

std::string host_session() {
    const char* v = std::getenv("CLAUDE_CODE_SESSION_ID");
    return v ? std::string(v).substr(0, 4096) : std::string();
}

}  // namespace cj::cli
