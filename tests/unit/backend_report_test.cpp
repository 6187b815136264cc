// Tests of what is told about the setup: each configured backend in order, usable now or
// why not (health asked each time), and the warning about bypassPermissions as root.
#include "core/jobs/backend_report.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::report_backends;
using cj::jobs::setup_warnings;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using claude_jobs::ErrorCode;

class BackendReportTest : public ::testing::Test {
  protected:
    JobWorld w_{{FakeSpec{"local"}, FakeSpec{"tmux", {.attach = true, .sendInput = true}},
                 FakeSpec{"broken", {}, false}}};
};

TEST_F(BackendReportTest, EachBackendInConfigOrder) {
    auto report = report_backends(w_.config, *w_.backends);
    ASSERT_EQ(report.size(), 3u);
    EXPECT_EQ(report[0].name, "local");
    EXPECT_TRUE(report[0].isDefault);
    EXPECT_TRUE(report[0].available);
    EXPECT_EQ(report[0].reason, "");
    EXPECT_EQ(report[0].plugin, "fake");
    EXPECT_EQ(report[0].version, "1.2.3");
    EXPECT_EQ(report[0].description, "a backend that runs nothing");
    EXPECT_FALSE(report[0].capabilities.attach);

    EXPECT_EQ(report[1].name, "tmux");
    EXPECT_FALSE(report[1].isDefault);
    EXPECT_TRUE(report[1].available);
    EXPECT_TRUE(report[1].capabilities.attach);
    EXPECT_TRUE(report[1].capabilities.sendInput);

    EXPECT_EQ(report[2].name, "broken");
    EXPECT_FALSE(report[2].available);
    EXPECT_NE(report[2].reason.find("module fake not found"), std::string::npos)
        << report[2].reason;
}

TEST_F(BackendReportTest, HealthIsAskedEachTime) {
    w_.fake("tmux").set_health(claude_jobs::make_error(ErrorCode::Unavailable, "tmux not in PATH"));
    auto report = report_backends(w_.config, *w_.backends);
    EXPECT_FALSE(report[1].available);
    EXPECT_EQ(report[1].reason, "backend \"tmux\" is unavailable: tmux not in PATH");
    EXPECT_TRUE(report[0].available);

    w_.fake("tmux").set_health({});
    report = report_backends(w_.config, *w_.backends);
    EXPECT_TRUE(report[1].available);
    EXPECT_EQ(report[1].reason, "");
    EXPECT_EQ(w_.fake("tmux").count("health"), 2);
}

TEST_F(BackendReportTest, TheDefaultFollowsTheConfig) {
    w_.config.defaultBackend = "tmux";
    auto report = report_backends(w_.config, *w_.backends);
    EXPECT_FALSE(report[0].isDefault);
    EXPECT_TRUE(report[1].isDefault);
}

TEST_F(BackendReportTest, BypassPermissionsAsRootIsWarnedAbout) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "the warning is only given to root; run as root to test it";
    w_.config.claude.permissionMode = "bypassPermissions";
    auto warnings = setup_warnings(w_.config, {"PATH=/usr/bin"});
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("running as root"), std::string::npos);
    EXPECT_NE(warnings[0].find("IS_SANDBOX"), std::string::npos);
}

TEST_F(BackendReportTest, ASandboxOrAnotherModeNeedsNoWarning) {
    w_.config.claude.permissionMode = "bypassPermissions";
    EXPECT_TRUE(setup_warnings(w_.config, {"PATH=/usr/bin", "IS_SANDBOX=1"}).empty());
    w_.config.claude.env["IS_SANDBOX"] = "1";
    EXPECT_TRUE(setup_warnings(w_.config, {}).empty());
    w_.config.claude.env.clear();
    w_.config.claude.permissionMode = "acceptEdits";
    EXPECT_TRUE(setup_warnings(w_.config, {}).empty());
}

TEST_F(BackendReportTest, NoWarningForANormalUser) {
    if (::geteuid() == 0) GTEST_SKIP() << "running as root: the warning applies";
    w_.config.claude.permissionMode = "bypassPermissions";
    EXPECT_TRUE(setup_warnings(w_.config, {}).empty());
}

}  // namespace
