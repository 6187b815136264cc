// Tests of the plugin loader against the modules tests/plugins builds: one valid backend and
// one module for each reason the loader must refuse one.
#include "core/plugins/plugin_loader.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

#include "claude_jobs/plugin.h"

namespace {

using cj::plugins::ModuleReport;
using cj::plugins::PluginRegistry;
namespace fs = std::filesystem;

const std::string kPluginDir = TEST_PLUGIN_DIR;

std::string module_path(const std::string& file) {
    return kPluginDir + "/" + file;
}

std::string host_abi() {
    return std::to_string(CLAUDE_JOBS_ABI_MAJOR) + "." + std::to_string(CLAUDE_JOBS_ABI_MINOR);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

using cj::testing::TempDir;

ModuleReport load_one(const std::string& file) {
    PluginRegistry registry;
    return registry.load_file(module_path(file));
}

TEST(PluginLoaderTest, ScanLoadsExactlyTheGoodModule) {
    PluginRegistry registry;
    registry.scan({kPluginDir});
    const auto& reports = registry.reports();
    // Every file in the folder was looked at: the good one, six broken ones, one text file.
    EXPECT_EQ(reports.size(), 8u);
    int loaded = 0;
    for (const auto& report : reports) {
        if (report.loaded) {
            ++loaded;
            EXPECT_EQ(report.name, "good-test-backend");
            EXPECT_EQ(report.version, "1.2.3");
            EXPECT_EQ(report.path, module_path("good_test_backend.so"));
            EXPECT_EQ(report.abiMajor, static_cast<std::uint32_t>(CLAUDE_JOBS_ABI_MAJOR));
            EXPECT_TRUE(report.error.empty());
        } else {
            EXPECT_FALSE(report.error.empty()) << report.path;
            EXPECT_TRUE(contains(report.error, report.path)) << report.error;
        }
    }
    EXPECT_EQ(loaded, 1);
}

TEST(PluginLoaderTest, RefusesAnotherMajorVersion) {
    ModuleReport report = load_one("abi_major2.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_EQ(report.error, module_path("abi_major2.so") + ": built for plugin ABI 2." +
                                std::to_string(CLAUDE_JOBS_ABI_MINOR) +
                                ", this claude-jobs speaks " + host_abi());
    EXPECT_EQ(report.abiMajor, 2u);
}

TEST(PluginLoaderTest, RefusesANewerMinorVersion) {
    ModuleReport report = load_one("abi_newer_minor.so");
    EXPECT_FALSE(report.loaded);
    std::string theirs =
        std::to_string(CLAUDE_JOBS_ABI_MAJOR) + "." + std::to_string(CLAUDE_JOBS_ABI_MINOR + 1);
    EXPECT_TRUE(contains(report.error, module_path("abi_newer_minor.so") + ": ")) << report.error;
    EXPECT_TRUE(contains(report.error, "plugin ABI " + theirs)) << report.error;
    EXPECT_TRUE(contains(report.error, host_abi())) << report.error;
    EXPECT_EQ(report.name, "abi-newer-minor");
}

TEST(PluginLoaderTest, RefusesAnotherStandardLibraryAbi) {
    ModuleReport report = load_one("wrong_stdlib.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_TRUE(contains(report.error, module_path("wrong_stdlib.so") + ": ")) << report.error;
    EXPECT_TRUE(contains(report.error, "\"libc++-elsewhere\"")) << report.error;
    EXPECT_TRUE(contains(report.error, std::string("\"") + CLAUDE_JOBS_STDLIB_ABI + "\""))
        << report.error;
}

TEST(PluginLoaderTest, RefusesAnInfoStructTooShortToRead) {
    ModuleReport report = load_one("short_info.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_TRUE(contains(report.error, module_path("short_info.so") + ": ")) << report.error;
    EXPECT_TRUE(contains(report.error, "8 bytes")) << report.error;
}

TEST(PluginLoaderTest, RefusesALibraryWithoutTheInfoFunction) {
    ModuleReport report = load_one("no_entry.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_EQ(report.error, module_path("no_entry.so") +
                                ": not a claude-jobs backend module: no claude_jobs_plugin_info");
    EXPECT_EQ(report.name, "");
}

TEST(PluginLoaderTest, RefusesAModuleWithoutFactory) {
    ModuleReport report = load_one("no_factory.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_EQ(report.error,
              module_path("no_factory.so") +
                  ": not a complete claude-jobs backend module: no claude_jobs_create_backend");
}

TEST(PluginLoaderTest, RefusesAFileThatIsNotALibrary) {
    ModuleReport report = load_one("not_a_library.so");
    EXPECT_FALSE(report.loaded);
    std::string prefix = module_path("not_a_library.so") + ": not a loadable shared library: ";
    EXPECT_EQ(report.error.rfind(prefix, 0), 0u) << report.error;
    // The dynamic loader's own words follow, so a person can see what is wrong with the file,
    // without the file named a second time.
    EXPECT_GT(report.error.size(), prefix.size()) << report.error;
    EXPECT_FALSE(contains(report.error.substr(prefix.size()), "not_a_library.so")) << report.error;
}

TEST(PluginLoaderTest, RefusesAMissingFile) {
    ModuleReport report = load_one("does_not_exist.so");
    EXPECT_FALSE(report.loaded);
    EXPECT_TRUE(contains(report.error, module_path("does_not_exist.so"))) << report.error;
}

TEST(PluginLoaderTest, CreatesWorkingInstancesOfTheGoodModule) {
    PluginRegistry registry;
    registry.scan({kPluginDir});
    auto backend = registry.create("good-test-backend");
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    EXPECT_EQ((*backend)->info().plugin, "good-test-backend");
    EXPECT_TRUE((*backend)->configure("{}", {}).ok());
    EXPECT_FALSE((*backend)->configure("{\"x\":1}", {}).ok());
    claude_jobs::JobSpec spec;
    spec.jobId = "job1";
    ASSERT_TRUE((*backend)->start(spec).ok());
    auto status = (*backend)->status("job1");
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, claude_jobs::RunState::Running);
    EXPECT_EQ((*backend)->status("other").error().code, claude_jobs::ErrorCode::NotFound);

    // Instances are independent.
    auto second = registry.create("good-test-backend");
    ASSERT_TRUE(second.ok());
    EXPECT_NE(second->get(), backend->get());
    EXPECT_FALSE((*second)->status("job1").ok());
}

TEST(PluginLoaderTest, InstancesOutliveTheRegistry) {
    std::shared_ptr<claude_jobs::IJobBackend> backend;
    {
        PluginRegistry registry;
        registry.scan({kPluginDir});
        auto created = registry.create("good-test-backend");
        ASSERT_TRUE(created.ok());
        backend = *created;
    }
    // The module stays loaded, so its code is still there to run and to delete the instance.
    EXPECT_EQ(backend->info().version, "1.2.3");
    backend.reset();
}

TEST(PluginLoaderTest, CreatingARefusedModuleSaysWhy) {
    PluginRegistry registry;
    registry.scan({kPluginDir});

    auto byName = registry.create("abi-newer-minor");
    ASSERT_FALSE(byName.ok());
    EXPECT_EQ(byName.error().code, claude_jobs::ErrorCode::NotFound);
    EXPECT_TRUE(contains(byName.error().message, "refused: " + module_path("abi_newer_minor.so")))
        << byName.error().message;
    EXPECT_TRUE(contains(byName.error().message, "loaded: good-test-backend"))
        << byName.error().message;

    // Modules whose name could not be read are matched by their file name.
    auto byFile = registry.create("no_entry");
    ASSERT_FALSE(byFile.ok());
    EXPECT_EQ(byFile.error().code, claude_jobs::ErrorCode::NotFound);
    EXPECT_TRUE(contains(byFile.error().message, "no claude_jobs_plugin_info"))
        << byFile.error().message;
    auto otherMajor = registry.create("abi_major2");
    ASSERT_FALSE(otherMajor.ok());
    EXPECT_TRUE(contains(otherMajor.error().message, "built for plugin ABI 2."))
        << otherMajor.error().message;

    auto unknown = registry.create("no-such-backend");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, claude_jobs::ErrorCode::NotFound);
    EXPECT_EQ(unknown.error().message,
              "no backend module named \"no-such-backend\" is loaded (loaded: good-test-backend)");
}

TEST(PluginLoaderTest, RefusesADuplicateName) {
    TempDir other;
    ASSERT_FALSE(other.path().empty());
    fs::copy_file(module_path("good_test_backend.so"), other.path() + "/copy.so");
    PluginRegistry registry;
    registry.scan({kPluginDir, other.path()});
    const auto& reports = registry.reports();
    ASSERT_EQ(reports.size(), 9u);
    const ModuleReport& copy = reports.back();
    EXPECT_FALSE(copy.loaded);
    EXPECT_EQ(copy.error, fs::canonical(other.path()).string() +
                              "/copy.so: a backend module named \"good-test-backend\" is already "
                              "loaded from " +
                              module_path("good_test_backend.so"));
    // The first one found is the one used.
    EXPECT_TRUE(registry.create("good-test-backend").ok());
}

TEST(PluginLoaderTest, SkipsMissingAndRepeatedFolders) {
    PluginRegistry registry;
    registry.scan({"/nonexistent/claude-jobs/plugins", kPluginDir, kPluginDir + "/"});
    EXPECT_EQ(registry.reports().size(), 8u);
    EXPECT_EQ(std::count_if(registry.reports().begin(), registry.reports().end(),
                            [](const ModuleReport& r) { return r.loaded; }),
              1);
    // Each folder named is reported, found or not, searched or not.
    const auto& folders = registry.folders();
    ASSERT_EQ(folders.size(), 3u);
    EXPECT_EQ(folders[0].path, "/nonexistent/claude-jobs/plugins");
    EXPECT_FALSE(folders[0].found);
    EXPECT_FALSE(folders[0].error.empty());
    EXPECT_TRUE(folders[1].found);
    EXPECT_EQ(folders[1].modules, 8);
    EXPECT_EQ(folders[1].error, "");
    EXPECT_TRUE(folders[2].found);
    EXPECT_TRUE(contains(folders[2].error, "already searched")) << folders[2].error;
}

TEST(PluginLoaderTest, ReportsCarryTheModulesAbiAndToolchain) {
    PluginRegistry registry;
    ModuleReport good = registry.load_file(module_path("good_test_backend.so"));
    EXPECT_TRUE(good.abiKnown);
    EXPECT_EQ(good.compilerAbi, CLAUDE_JOBS_COMPILER_ABI);
    EXPECT_EQ(good.stdlibAbi, CLAUDE_JOBS_STDLIB_ABI);
    ModuleReport newer = registry.load_file(module_path("abi_newer_minor.so"));
    EXPECT_TRUE(newer.abiKnown);
    EXPECT_EQ(newer.abiMinor, static_cast<std::uint32_t>(CLAUDE_JOBS_ABI_MINOR + 1));
    ModuleReport none = registry.load_file(module_path("no_entry.so"));
    EXPECT_FALSE(none.abiKnown);
    EXPECT_EQ(cj::plugins::host_abi_version(), host_abi());
    EXPECT_EQ(cj::plugins::host_toolchain(),
              std::string(CLAUDE_JOBS_COMPILER_ABI) + "/" + CLAUDE_JOBS_STDLIB_ABI);
}

TEST(PluginLoaderTest, CheckAbiAcceptsTheHostsOwnTags) {
    EXPECT_EQ(cj::plugins::check_abi("m.so", CLAUDE_JOBS_ABI_MAJOR, CLAUDE_JOBS_ABI_MINOR,
                                     CLAUDE_JOBS_COMPILER_ABI, CLAUDE_JOBS_STDLIB_ABI),
              "");
    std::string compiler = cj::plugins::check_abi(
        "m.so", CLAUDE_JOBS_ABI_MAJOR, CLAUDE_JOBS_ABI_MINOR, "msvc-x", CLAUDE_JOBS_STDLIB_ABI);
    EXPECT_TRUE(contains(compiler, "m.so: built with compiler ABI \"msvc-x\"")) << compiler;
    EXPECT_TRUE(contains(compiler, CLAUDE_JOBS_COMPILER_ABI)) << compiler;
    EXPECT_EQ(cj::plugins::check_abi("m.so", CLAUDE_JOBS_ABI_MAJOR + 1, 0, "", ""),
              "m.so: built for plugin ABI " + std::to_string(CLAUDE_JOBS_ABI_MAJOR + 1) +
                  ".0, this claude-jobs speaks " + host_abi());
}

}  // namespace
