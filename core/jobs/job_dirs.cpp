#include "core/jobs/job_dirs.h"

#include "core/transcript/text.h"
#include "core/util/files.h"

namespace cj::jobs {

std::string read_stderr_tail(const JobDirs& dirs, const std::string& id, std::size_t maxBytes) {
    std::string path = dirs.file(id, job_files::kStderr);
    auto size = util::file_size(path).value_or(0);
    // One byte more than is kept, so that utf8_tail sees a character cut by the read.
    auto tail = util::read_range(path, size > maxBytes ? size - maxBytes - 1 : 0, maxBytes + 1);
    return tail ? transcript::utf8_tail(*tail, maxBytes) : "";
}

}  // namespace cj::jobs
