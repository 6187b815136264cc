#include "core/jobs/event_summary.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs::event_summary {

using nlohmann::json;
using transcript::ScanCheckpoint;

namespace {

constexpr int kVersion = 1;
constexpr std::size_t kSummaryMaxBytes = 64 * 1024;
// The log's bytes just before the covered offset that a summary must still find there.
constexpr std::uint64_t kWitnessBytes = 256;
// A result line longer than this was never parsed by the scanner either.
constexpr std::uint64_t kResultMaxBytes = 4 << 20;

struct LogIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
};

std::optional<LogIdentity> identify(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return LogIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                       static_cast<std::uint64_t>(st.st_size)};
}

// FNV-1a of the bytes before `offset`, as hex; "" when they cannot be read.
std::string witness(const std::string& path, std::uint64_t offset) {
    std::uint64_t from = offset > kWitnessBytes ? offset - kWitnessBytes : 0;
    auto bytes = util::read_range(path, from, static_cast<std::size_t>(offset - from));
    if (!bytes || bytes->size() != offset - from) return {};
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : *bytes) h = (h ^ c) * 1099511628211ULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

std::uint64_t count(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}
std::string text(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The result event found where the summary says its line is; false when it is not there.
bool read_result(const std::string& log, ScanCheckpoint& at) {
    if (at.resultBytes == 0) return true;
    if (at.resultBytes > kResultMaxBytes || at.resultOffset + at.resultBytes >= at.offset)
        return false;
    auto line = util::read_range(log, at.resultOffset, static_cast<std::size_t>(at.resultBytes));
    if (!line || line->size() != at.resultBytes) return false;
    json event = util::parse_json_or_discarded(*line);
    if (!event.is_object() || text(event, "type") != "result") return false;
    at.result = transcript::ResultSummary::from_json(event);
    return at.result.has_value();
}

}  // namespace

std::optional<ScanCheckpoint> load(const JobDirs& dirs, const std::string& id) {
    auto stored = util::read_file(dirs.file(id, job_files::kEventSummary), kSummaryMaxBytes);
    if (!stored || !*stored) return std::nullopt;
    json j = util::parse_json_or_discarded(**stored);
    if (!j.is_object() || count(j, "version") != kVersion) return std::nullopt;
    std::string log = dirs.file(id, job_files::kEvents);
    auto now = identify(log);
    ScanCheckpoint at;
    at.offset = count(j, "offset");
    if (!now || now->device != count(j, "device") || now->inode != count(j, "inode") ||
        now->size < at.offset || at.offset == 0 || witness(log, at.offset) != text(j, "witness"))
        return std::nullopt;
    at.activity.turns = static_cast<std::int64_t>(count(j, "turns"));
    at.activity.lastText = text(j, "lastText");
    at.activity.lastTool = text(j, "lastTool");
    at.lastMessageId = text(j, "lastMessageId");
    at.sessionId = text(j, "sessionId");
    at.resultOffset = count(j, "resultOffset");
    at.resultBytes = count(j, "resultBytes");
    if (!read_result(log, at)) return std::nullopt;
    return at;
}

void save(const JobDirs& dirs, const std::string& id, const ScanCheckpoint& at) {
    std::string log = dirs.file(id, job_files::kEvents);
    auto now = identify(log);
    if (!now || now->size < at.offset) return;  // replaced meanwhile
    json j = {{"version", kVersion},
              {"device", now->device},
              {"inode", now->inode},
              {"offset", at.offset},
              {"witness", witness(log, at.offset)},
              {"turns", at.activity.turns},
              {"lastText", at.activity.lastText},
              {"lastTool", at.activity.lastTool},
              {"lastMessageId", at.lastMessageId},
              {"sessionId", at.sessionId},
              {"resultOffset", at.resultOffset},
              {"resultBytes", at.result ? at.resultBytes : 0}};
    auto written = util::write_file_atomic(dirs.dir(id), job_files::kEventSummary,
                                           j.dump(-1, ' ', false, json::error_handler_t::replace),
                                           /*sync=*/false);
    if (!written) spdlog::debug("job {}: {}", id, written.error().message);
}

}  // namespace cj::jobs::event_summary
