// The server is not dumpable: a job running as the server's own user cannot open the server's
// descriptors through /proc/<pid>/fd and write a forged reply into the client's pipe. Run as
// root (as in CI), the test starts the server as an unprivileged user, since root may open
// any process's descriptors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>
#include <string>

#include "harness.h"

namespace cj::testing {
namespace {

constexpr uid_t kNobody = 65534;
constexpr int kForgedId = 424242;

TEST(UndumpableTest, AJobCannotWriteIntoTheClientsPipe) {
    TempDir state("cj-state"), work("cj-work");
    std::optional<uid_t> runAs;
    if (::geteuid() == 0) {
        runAs = kNobody;
        ASSERT_EQ(::chown(work.path().c_str(), kNobody, kNobody), 0);
    }
    Server server(state.path(), default_config(state.path()), {"HOME=" + state.path()}, runAs);
    server.initialize();

    // The job tries each of the server's first descriptors; the protocol's output is among them.
    std::string forged =
        json{{"jsonrpc", "2.0"}, {"id", kForgedId}, {"result", json::object()}}.dump();
    std::string prompt;
    for (int fd = 0; fd < 16; ++fd)
        prompt += "append /proc/" + std::to_string(server.pid()) + "/fd/" + std::to_string(fd) +
                  " " + forged + "\n";
    json started = server.ok("claude_start", {{"prompt", prompt}, {"workFolder", work.path()}});
    json view = server.wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);

    auto reply =
        server.wait_message([](const json& m) { return m.contains("id") && m["id"] == kForgedId; },
                            std::chrono::milliseconds(500));
    EXPECT_FALSE(reply.has_value()) << "a job wrote a reply into the client's pipe";
    json checked = server.ok("claude_check", {{"jobId", started["jobId"]}, {"tailBytes", 20000}});
    std::string transcript = checked["output"].get<std::string>();
    EXPECT_EQ(transcript.find("appended to"), std::string::npos) << transcript;
    EXPECT_NE(transcript.find("Permission denied"), std::string::npos) << transcript;
}

}  // namespace
}  // namespace cj::testing
