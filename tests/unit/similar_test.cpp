// "Did you mean": close words by edit distance, and job ids by unique prefix.
#include <gtest/gtest.h>

#include "core/cli/job_ids.h"
#include "core/util/similar.h"

namespace {

using cj::util::did_you_mean;
using cj::util::edit_distance;
using cj::util::similar_words;

TEST(Similar, EditDistanceCountsASwapAsOneEdit) {
    EXPECT_EQ(edit_distance("status", "status"), 0u);
    EXPECT_EQ(edit_distance("stauts", "status"), 1u);
    EXPECT_EQ(edit_distance("sho", "show"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Similar, SuggestsOnlyCloseWordsClosestFirst) {
    std::vector<std::string> subs = {"ls", "show", "logs", "start", "wait", "cancel", "attach"};
    EXPECT_EQ(similar_words("shwo", subs), std::vector<std::string>{"show"});
    EXPECT_EQ(similar_words("strat", subs), std::vector<std::string>{"start"});
    EXPECT_TRUE(similar_words("frobnicate", subs).empty());
    EXPECT_EQ(did_you_mean("cancle", subs), " (did you mean \"cancel\"?)");
    EXPECT_EQ(did_you_mean("lgs", subs), " (did you mean \"ls\" or \"logs\"?)");
    EXPECT_EQ(did_you_mean("zzzzzz", subs), "");
}

TEST(JobIds, WholeIdOrAUniquePrefix) {
    std::vector<std::string> ids = {"j-abc123", "j-abd456", "k-xyz"};
    EXPECT_EQ(*cj::cli::match_job_id("k", ids), "k-xyz");
    EXPECT_EQ(*cj::cli::match_job_id("j-abc", ids), "j-abc123");
    EXPECT_EQ(*cj::cli::match_job_id("j-abd456", ids), "j-abd456");
}

TEST(JobIds, AmbiguousPrefixListsTheCandidates) {
    auto r = cj::cli::match_job_id("j-ab", {"j-abc123", "j-abd456", "k-xyz"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, claude_jobs::ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().message,
              "job id \"j-ab\" is ambiguous: 2 jobs start with it (j-abc123, j-abd456); give more "
              "of the id");
}

TEST(JobIds, UnknownIdSuggestsCloseOnes) {
    auto r = cj::cli::match_job_id("j-abc132", {"j-abc123", "k-xyz"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, claude_jobs::ErrorCode::NotFound);
    EXPECT_EQ(r.error().message, "no such job \"j-abc132\" (did you mean \"j-abc123\"?)");
    EXPECT_EQ(cj::cli::match_job_id("", {"a"}).error().code, claude_jobs::ErrorCode::NotFound);
}

}  // namespace
