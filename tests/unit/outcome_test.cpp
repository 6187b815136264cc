// Tests of how a job's end is judged: the runner's exit record (exit.json) read back, and the
// terminal state and one-line reason decided from it together with claude's result event.
#include "core/jobs/outcome.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace {

using cj::jobs::decide_outcome;
using cj::jobs::ExitRecord;
using cj::jobs::JobState;
using cj::jobs::Outcome;
using cj::jobs::parse_exit_record;
using cj::transcript::ResultSummary;

ExitRecord exited(int code) {
    ExitRecord e;
    e.exitCode = code;
    return e;
}

ExitRecord signalled(int signal, const std::string& name = "") {
    ExitRecord e;
    e.signal = signal;
    e.signalName = name;
    return e;
}

ResultSummary result(const std::string& text, bool isError,
                     const std::string& subtype = "success") {
    ResultSummary r;
    r.text = text;
    r.isError = isError;
    r.subtype = subtype;
    return r;
}

TEST(OutcomeTest, ExitZeroWithoutResultIsCompleted) {
    Outcome o = decide_outcome(exited(0), std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Completed);
    ASSERT_TRUE(o.exitCode.has_value());
    EXPECT_EQ(*o.exitCode, 0);
    EXPECT_FALSE(o.reason.empty());
    EXPECT_EQ(o.reason.find('\n'), std::string::npos);
}

TEST(OutcomeTest, ExitZeroWithASuccessfulResultIsCompleted) {
    Outcome o = decide_outcome(exited(0), result("All done.", false), false, "some noise\n");
    EXPECT_EQ(o.state, JobState::Completed);
}

// SIGINT makes claude exit 0 while its result says is_error: exit 0 alone is not success.
TEST(OutcomeTest, ExitZeroWithAnErrorResultIsFailedWithItsText) {
    Outcome o = decide_outcome(
        exited(0), result("Request was interrupted", true, "error_during_execution"), false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(*o.exitCode, 0);
    EXPECT_NE(o.reason.find("Request was interrupted"), std::string::npos) << o.reason;
    EXPECT_NE(o.reason.find("error_during_execution"), std::string::npos) << o.reason;
}

TEST(OutcomeTest, ApiErrorNamesTheExitCodeAndTheMessage) {
    Outcome o =
        decide_outcome(exited(1), result("API Error: 401 Invalid API key", true), false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(*o.exitCode, 1);
    EXPECT_EQ(o.reason, "exit code 1: API Error: 401 Invalid API key");
}

TEST(OutcomeTest, NonZeroExitWithoutAnyDetail) {
    Outcome o = decide_outcome(exited(3), std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(o.reason, "exit code 3");
}

TEST(OutcomeTest, NonZeroExitWithASuccessfulResultIsStillFailed) {
    Outcome o = decide_outcome(exited(2), result("looked fine", false), false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(o.reason, "exit code 2: looked fine");
}

TEST(OutcomeTest, StderrLastLineExplainsAFailureWithoutResultText) {
    std::string stderrTail = "warming up\nError: Cannot find module 'x'\n\n   \n";
    Outcome o = decide_outcome(exited(1), std::nullopt, false, stderrTail);
    EXPECT_EQ(o.reason, "exit code 1: Error: Cannot find module 'x'");

    Outcome emptyText = decide_outcome(exited(1), result("", true), false, stderrTail);
    EXPECT_EQ(emptyText.reason, "exit code 1: Error: Cannot find module 'x'");

    // Result text, when there is one, is the better explanation.
    Outcome withText =
        decide_outcome(exited(1), result("API Error: 529 Overloaded", true), false, stderrTail);
    EXPECT_EQ(withText.reason, "exit code 1: API Error: 529 Overloaded");
}

TEST(OutcomeTest, KilledBySignalIsNamed) {
    Outcome o = decide_outcome(signalled(9), std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(o.reason, "killed by SIGKILL");
    EXPECT_FALSE(o.exitCode.has_value());

    Outcome named = decide_outcome(signalled(9, "SIGKILL"), std::nullopt, false, "");
    EXPECT_EQ(named.reason, "killed by SIGKILL");

    Outcome segv = decide_outcome(signalled(11), std::nullopt, false, "Segmentation fault\n");
    EXPECT_EQ(segv.reason, "killed by SIGSEGV: Segmentation fault");
}

TEST(OutcomeTest, TimedOutWinsOverTheSignalThatEndedIt) {
    ExitRecord e = signalled(15, "SIGTERM");
    e.timedOut = true;
    e.reason = "ran past 3600 s";
    Outcome o = decide_outcome(e, std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::TimedOut);
    EXPECT_EQ(o.reason, "ran past 3600 s");

    ExitRecord bare;
    bare.timedOut = true;
    bare.exitCode = 143;
    Outcome noReason = decide_outcome(bare, std::nullopt, false, "");
    EXPECT_EQ(noReason.state, JobState::TimedOut);
    EXPECT_FALSE(noReason.reason.empty());
}

TEST(OutcomeTest, CancelledFlagIsCancelled) {
    ExitRecord e = signalled(15, "SIGTERM");
    e.cancelled = true;
    Outcome o = decide_outcome(e, std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Cancelled);
    EXPECT_FALSE(o.reason.empty());

    // Even if claude managed to exit 0 after the runner was told to cancel.
    ExitRecord zero = exited(0);
    zero.cancelled = true;
    EXPECT_EQ(decide_outcome(zero, std::nullopt, false, "").state, JobState::Cancelled);
}

TEST(OutcomeTest, CancelRequestedAndTerminatedIsCancelled) {
    Outcome exit143 = decide_outcome(exited(143), std::nullopt, true, "");
    EXPECT_EQ(exit143.state, JobState::Cancelled);
    EXPECT_EQ(*exit143.exitCode, 143);

    Outcome killed = decide_outcome(signalled(9, "SIGKILL"), std::nullopt, true, "");
    EXPECT_EQ(killed.state, JobState::Cancelled);

    // Without the request the same exit is a failure.
    EXPECT_EQ(decide_outcome(exited(143), std::nullopt, false, "").state, JobState::Failed);
}

TEST(OutcomeTest, CancelRequestedAfterASuccessfulFinishStaysCompleted) {
    Outcome o = decide_outcome(exited(0), result("done", false), true, "");
    EXPECT_EQ(o.state, JobState::Completed);
}

TEST(OutcomeTest, LaunchErrorIsFailedWithIt) {
    ExitRecord e;
    e.launchError = "cannot run /nope/claude: No such file or directory";
    Outcome o = decide_outcome(e, std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_EQ(o.reason, "cannot run /nope/claude: No such file or directory");

    // Launch errors win even over a cancel request: the job never ran.
    EXPECT_EQ(decide_outcome(e, std::nullopt, true, "").state, JobState::Failed);
}

TEST(OutcomeTest, NoExitStatusAtAllIsFailed) {
    Outcome o = decide_outcome(ExitRecord{}, std::nullopt, false, "");
    EXPECT_EQ(o.state, JobState::Failed);
    EXPECT_FALSE(o.reason.empty());
}

// The runner found the job folder's disk full when claude exited.
TEST(OutcomeTest, AFullDiskIsNamedForAFailedOrTimedOutJob) {
    ExitRecord failed = exited(1);
    failed.noSpaceLeft = true;
    EXPECT_EQ(decide_outcome(failed, std::nullopt, false, "").reason,
              "exit code 1; no space left on device");
    ExitRecord timedOut = exited(143);
    timedOut.timedOut = true;
    timedOut.reason = "ran past 5 s; no space left on device";
    timedOut.noSpaceLeft = true;
    EXPECT_EQ(decide_outcome(timedOut, std::nullopt, false, "").reason,
              "ran past 5 s; no space left on device")
        << "said once";
    ExitRecord long_detail = exited(1);
    long_detail.noSpaceLeft = true;
    Outcome o = decide_outcome(long_detail, std::nullopt, false, std::string(2000, 'e'));
    EXPECT_LE(o.reason.size(), 420u);
    EXPECT_EQ(o.reason.substr(o.reason.size() - 25), "; no space left on device")
        << "a long detail is cut, never the note";
    ExitRecord completed = exited(0);
    completed.noSpaceLeft = true;
    EXPECT_EQ(decide_outcome(completed, std::nullopt, false, "").state, JobState::Completed);
    EXPECT_EQ(decide_outcome(completed, std::nullopt, false, "").reason, "completed: exit code 0");
    ExitRecord cancelled = exited(143);
    cancelled.cancelled = true;
    cancelled.noSpaceLeft = true;
    EXPECT_EQ(decide_outcome(cancelled, std::nullopt, true, "").reason, "cancelled by request");
    EXPECT_EQ(decide_outcome(cancelled, std::nullopt, false, "").reason.rfind(
                  "cancelled from outside claude-jobs", 0),
              0u);
}

TEST(OutcomeTest, ReasonIsOneBoundedLine) {
    std::string text = "first line\nsecond line\n" + std::string(5000, 'e');
    Outcome o = decide_outcome(exited(1), result(text, true), false, "");
    EXPECT_EQ(o.reason.rfind("exit code 1: first line second line", 0), 0u) << o.reason;
    EXPECT_EQ(o.reason.find('\n'), std::string::npos);
    EXPECT_LE(o.reason.size(), 500u);
}

TEST(OutcomeTest, LastLineSkipsBlankLines) {
    using cj::jobs::last_line;
    EXPECT_EQ(last_line("one\ntwo\n\n \t\n"), "two");
    EXPECT_EQ(last_line("only"), "only");
    EXPECT_EQ(last_line(""), "");
    EXPECT_EQ(last_line("\n\n\n"), "");
    EXPECT_EQ(last_line("a\r\nb\r\n"), "b");
    EXPECT_LE(last_line(std::string(2000, 'x')).size(), 400u);
}

// Exactly what claude-jobs-runner writes (runner/exit_record.cpp: every key, nulls included).
TEST(OutcomeTest, ParsesTheRunnersNormalExitRecord) {
    auto r = parse_exit_record(
        R"({"exitCode":0,"signal":null,"signalName":null,"timedOut":false,"cancelled":false,)"
        R"("launchError":null,"startedAt":1700000000000,"endedAt":1700000001234,"reason":"exit code 0"})"
        "\n");
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->exitCode.has_value());
    EXPECT_EQ(*r->exitCode, 0);
    EXPECT_FALSE(r->signal.has_value());
    EXPECT_EQ(r->signalName, "");
    EXPECT_FALSE(r->timedOut);
    EXPECT_FALSE(r->cancelled);
    EXPECT_EQ(r->launchError, "");
    EXPECT_EQ(r->startedAt, 1700000000000);
    EXPECT_EQ(r->endedAt, 1700000001234);
    EXPECT_EQ(r->reason, "exit code 0");
    EXPECT_EQ(decide_outcome(*r, std::nullopt, false, "").state, JobState::Completed);
}

TEST(OutcomeTest, ParsesTheRunnersSignalTimeoutCancelAndLaunchRecords) {
    auto killed = parse_exit_record(
        R"({"exitCode":null,"signal":9,"signalName":"SIGKILL","timedOut":false,"cancelled":false,)"
        R"("launchError":null,"startedAt":1,"endedAt":2,"reason":"killed by SIGKILL"})"
        "\n");
    ASSERT_TRUE(killed.has_value());
    EXPECT_FALSE(killed->exitCode.has_value());
    ASSERT_TRUE(killed->signal.has_value());
    EXPECT_EQ(*killed->signal, 9);
    EXPECT_EQ(killed->signalName, "SIGKILL");
    EXPECT_EQ(decide_outcome(*killed, std::nullopt, false, "").reason, "killed by SIGKILL");

    auto timedOut = parse_exit_record(
        R"({"exitCode":null,"signal":15,"signalName":"SIGTERM","timedOut":true,"cancelled":false,)"
        R"("launchError":null,"startedAt":1,"endedAt":2,"reason":"ran past 30 s"})"
        "\n");
    ASSERT_TRUE(timedOut.has_value());
    EXPECT_TRUE(timedOut->timedOut);
    Outcome t = decide_outcome(*timedOut, std::nullopt, false, "");
    EXPECT_EQ(t.state, JobState::TimedOut);
    EXPECT_EQ(t.reason, "ran past 30 s");

    auto cancelled = parse_exit_record(
        R"({"exitCode":143,"signal":null,"signalName":null,"timedOut":false,"cancelled":true,)"
        R"("launchError":null,"startedAt":1,"endedAt":2,"reason":"cancelled"})"
        "\n");
    ASSERT_TRUE(cancelled.has_value());
    EXPECT_TRUE(cancelled->cancelled);
    EXPECT_EQ(decide_outcome(*cancelled, std::nullopt, false, "").state, JobState::Cancelled);

    auto launch = parse_exit_record(
        R"({"exitCode":null,"signal":null,"signalName":null,"timedOut":false,"cancelled":false,)"
        R"("launchError":"cannot run claude: No such file or directory","startedAt":0,"endedAt":5,)"
        R"("reason":"cannot run claude: No such file or directory"})"
        "\n");
    ASSERT_TRUE(launch.has_value());
    EXPECT_EQ(launch->launchError, "cannot run claude: No such file or directory");
    Outcome l = decide_outcome(*launch, std::nullopt, false, "");
    EXPECT_EQ(l.state, JobState::Failed);
    EXPECT_EQ(l.reason, "cannot run claude: No such file or directory");
}

TEST(OutcomeTest, ParseExitRecordRejectsGarbage) {
    for (const char* text : {"", "   ", "not json", "{", "{\"exitCode\":0", "[]",
                             "[{\"exitCode\":0}]", "42", "null", "\"exitCode\"", "true"}) {
        EXPECT_FALSE(parse_exit_record(text).has_value()) << "accepted: " << text;
    }
}

TEST(OutcomeTest, ParseExitRecordIgnoresWrongTypedNumbers) {
    auto r = parse_exit_record(R"({"exitCode":"0","signal":9.5,"signalName":7})");
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->exitCode.has_value());
    EXPECT_FALSE(r->signal.has_value());
    EXPECT_EQ(r->signalName, "");
}

// A damaged exit.json must not throw out of the parser (the caller expects nullopt or a
// record, never an exception while it reconciles a job).
TEST(OutcomeTest, ParseExitRecordNeverThrowsOnWrongTypedFlagsOrTimes) {
    for (const char* text :
         {R"({"exitCode":0,"timedOut":"yes"})", R"({"exitCode":0,"cancelled":1})",
          R"({"exitCode":0,"timedOut":null})", R"({"exitCode":0,"startedAt":"soon"})",
          R"({"exitCode":0,"endedAt":[1]})"}) {
        EXPECT_NO_THROW({
            auto r = parse_exit_record(text);
            if (r) {
                EXPECT_FALSE(r->timedOut && r->cancelled);
            }
        }) << text;
    }
}

}  // namespace

namespace {

TEST(OutcomeLimits, AUsageLimitRefusalIsRateLimitedWithItsReset) {
    ResultSummary r = result("You've hit your 5-hour limit", true);
    r.apiError = "usage_limit_reached";
    r.apiErrorStatus = "429";
    cj::transcript::RateLimitInfo info;
    info.status = "rejected";
    info.resetsAt = 1796406987;
    info.rateLimitType = "five_hour";
    r.rateLimit = info;
    Outcome o = decide_outcome(exited(1), r, false, "");
    EXPECT_EQ(o.state, JobState::RateLimited);
    EXPECT_EQ(o.reason, "usage limit reached (five_hour); resets at 2026-12-04T17:56:27Z");
    EXPECT_EQ(o.exitCode, 1);
}

TEST(OutcomeLimits, ASpentBudgetIsBudgetExceeded) {
    ResultSummary r = result("", true, "error_max_budget_usd");
    r.terminalReason = "budget_exhausted";
    r.errors = "Reached maximum budget ($0.05)";
    Outcome o = decide_outcome(exited(1), r, false, "");
    EXPECT_EQ(o.state, JobState::BudgetExceeded);
    EXPECT_EQ(o.reason, "budget spent: Reached maximum budget ($0.05)");
}

TEST(OutcomeLimits, ACancelStillWinsOverALimit) {
    ResultSummary r = result("", true, "error_max_budget_usd");
    ExitRecord e = exited(143);
    e.cancelled = true;
    EXPECT_EQ(decide_outcome(e, r, true, "").state, JobState::Cancelled);
}

TEST(OutcomeLimits, TheNewStatesAreTerminalAndFailTheTask) {
    using cj::jobs::is_terminal;
    using cj::jobs::task_status;
    EXPECT_TRUE(is_terminal(JobState::RateLimited));
    EXPECT_TRUE(is_terminal(JobState::BudgetExceeded));
    EXPECT_STREQ(task_status(JobState::RateLimited), "failed");
    EXPECT_STREQ(cj::jobs::state_name(JobState::BudgetExceeded), "budget_exceeded");
    EXPECT_EQ(cj::jobs::parse_state("rate_limited"), JobState::RateLimited);
}

}  // namespace
