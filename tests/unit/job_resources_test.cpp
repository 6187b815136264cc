// Job resource URIs: what names a job's view, log and result, and what is refused.
#include "core/tools/job_resources.h"

#include <gtest/gtest.h>

namespace {

using cj::tools::JobResourceUri;
using cj::tools::parse_job_resource_uri;

TEST(JobResourceUriTest, TheThreePartsOfAJob) {
    auto view = parse_job_resource_uri("claude-jobs://job/abc-1");
    ASSERT_TRUE(view);
    EXPECT_EQ(view->jobId, "abc-1");
    EXPECT_EQ(view->part, JobResourceUri::Part::View);
    auto log = parse_job_resource_uri("claude-jobs://job/abc-1/log");
    ASSERT_TRUE(log);
    EXPECT_EQ(log->part, JobResourceUri::Part::Log);
    auto result = parse_job_resource_uri("claude-jobs://job/abc-1/result");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->part, JobResourceUri::Part::Result);
}

TEST(JobResourceUriTest, HostileOrForeignUrisNameNoJob) {
    for (const char* uri :
         {"", "claude-jobs://job/", "claude-jobs://job/../etc", "claude-jobs://job/a/b/log",
          "claude-jobs://job/a/log/", "claude-jobs://job/a/stderr", "claude-jobs://job/.hidden",
          "claude-jobs://jobs/a", "file:///etc/passwd", "CLAUDE-JOBS://job/a",
          "claude-jobs://job/a%2Flog", "claude-jobs://job/a b"}) {
        EXPECT_FALSE(parse_job_resource_uri(uri)) << uri;
    }
    EXPECT_FALSE(parse_job_resource_uri("claude-jobs://job/" + std::string(65, 'a')))
        << "longer than a job id may be";
}

TEST(JobResourceUriTest, EveryUriOfAJobParsesBackToIt) {
    for (const auto& uri : cj::tools::job_resource_uris("j1")) {
        auto parsed = parse_job_resource_uri(uri);
        ASSERT_TRUE(parsed) << uri;
        EXPECT_EQ(parsed->jobId, "j1");
    }
}

}  // namespace
