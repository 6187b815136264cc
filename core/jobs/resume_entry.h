// One job's entry in the resume schedule (see resumer.h), as the job view shows it.
#pragma once

#include <cstdint>
#include <string>

namespace cj::jobs {

struct ResumeEntry {
    std::string state;       // scheduled, resumed, off, exhausted, failed
    std::int64_t dueAt = 0;  // ms since epoch
    std::string resumedAs;   // the job that resumes it
    std::string note;        // why not, when it is not resumed
};

}  // namespace cj::jobs
