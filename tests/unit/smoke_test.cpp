#include <gtest/gtest.h>
#include "claude_jobs/result.h"
TEST(ResultTest, CarriesErrorCodeName) {
    claude_jobs::Result<int> r = claude_jobs::make_error(claude_jobs::ErrorCode::NotFound, "x");
    EXPECT_FALSE(r.ok());
    EXPECT_STREQ(claude_jobs::error_code_name(r.error().code), "not_found");
}
