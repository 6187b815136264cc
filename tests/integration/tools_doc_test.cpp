// The tools as a client sees them (tools/list) agree with docs/tools.md: every tool has a
// section, every input is described in the schema and named in the tool's section, and every
// tool carries its annotations.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "harness.h"

namespace cj::testing {
namespace {

// The text under each "## name" heading of the page.
std::map<std::string, std::string> sections(const std::string& page) {
    std::map<std::string, std::string> out;
    std::istringstream in(page);
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            current = line.substr(3);
            out[current];
        } else if (!current.empty()) {
            out[current] += line + "\n";
        }
    }
    return out;
}

class ToolsDocTest : public ::testing::Test {
  protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(state_.path(), default_config(state_.path()));
        server_->initialize();
        tools_ = server_->request("tools/list")["result"]["tools"];
        doc_ = sections(read_text(std::string(SOURCE_DIR) + "/docs/tools.md"));
    }
    TempDir state_{"cj-tools-doc"};
    std::unique_ptr<Server> server_;
    json tools_;
    std::map<std::string, std::string> doc_;
};

TEST_F(ToolsDocTest, EveryInputIsDescribedAndNamedInItsToolsSection) {
    ASSERT_GE(tools_.size(), 7u) << tools_.dump();
    for (const auto& tool : tools_) {
        std::string name = tool["name"];
        ASSERT_TRUE(doc_.count(name)) << "docs/tools.md has no section ## " << name;
        for (const auto& [input, schema] : tool["inputSchema"]["properties"].items()) {
            EXPECT_NE(doc_[name].find("`" + input + "`"), std::string::npos)
                << "docs/tools.md, ## " << name << ", does not name `" << input << "`";
            std::string description = schema.value("description", "");
            EXPECT_GE(description.size(), 20u) << name << "." << input << " is not described";
        }
    }
    for (const auto& [heading, text] : doc_) {
        if (heading.rfind("claude_", 0) != 0) continue;
        bool listed = false;
        for (const auto& tool : tools_) listed = listed || tool["name"] == heading;
        EXPECT_TRUE(listed) << "docs/tools.md documents " << heading << ", which is not a tool";
    }
}

TEST_F(ToolsDocTest, EveryToolSaysWhetherItReadsChangesOrDestroys) {
    std::map<std::string, bool> readOnly = {{"claude_start", false},   {"claude_check", true},
                                            {"claude_wait", true},     {"claude_jobs", true},
                                            {"claude_backends", true}, {"claude_cancel", false},
                                            {"claude_send", false}};
    for (const auto& tool : tools_) {
        std::string name = tool["name"];
        const json& a = tool["annotations"];
        ASSERT_TRUE(a.is_object()) << name;
        for (const char* hint : {"readOnlyHint", "destructiveHint", "idempotentHint"})
            EXPECT_TRUE(a.contains(hint) && a[hint].is_boolean()) << name << " " << hint;
        if (readOnly.count(name)) {
            EXPECT_EQ(a["readOnlyHint"], readOnly[name]) << name;
        }
    }
    for (const auto& tool : tools_) {
        if (tool["name"] == "claude_cancel") {
            EXPECT_TRUE(tool["annotations"]["destructiveHint"]);
        }
    }
}

}  // namespace
}  // namespace cj::testing
