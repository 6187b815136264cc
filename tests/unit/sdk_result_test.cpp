// The SDK's Result and Error: what every backend method returns.
#include <gtest/gtest.h>

#include "claude_jobs/result.h"

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

TEST(SdkResultTest, CarriesAValueOrAnError) {
    Result<int> value = 42;
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(*value, 42);
    Result<int> error = make_error(ErrorCode::NotFound, "no job x", 2, true);
    ASSERT_FALSE(error.ok());
    EXPECT_EQ(error.error().code, ErrorCode::NotFound);
    EXPECT_EQ(error.error().message, "no job x");
    EXPECT_EQ(error.error().sysErrno, 2);
    EXPECT_TRUE(error.error().retryable);
    Result<void> fine;
    EXPECT_TRUE(fine.ok());
    Result<void> bad = make_error(ErrorCode::Internal, "boom");
    EXPECT_FALSE(bad.ok());
}

TEST(SdkResultTest, ErrorCodesHaveTheirWireNames) {
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::NotFound), "not_found");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::InvalidArgument), "invalid_argument");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::AlreadyExists), "already_exists");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::Unavailable), "unavailable");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::LimitReached), "limit_reached");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::PermissionDenied), "permission_denied");
    EXPECT_STREQ(claude_jobs::error_code_name(ErrorCode::Internal), "internal");
}

}  // namespace
