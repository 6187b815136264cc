// Finds backend modules, checks their info struct before trusting anything else in them, and
// creates backend instances (SPEC §8). The only code that touches Boost.DLL.
#include "core/plugins/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <set>
#include <system_error>
#include <type_traits>

#include <spdlog/spdlog.h>
#include <boost/dll/shared_library.hpp>

#include "claude_jobs/plugin.h"

namespace cj::plugins {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::IJobBackend;
using claude_jobs::make_error;
namespace fs = std::filesystem;

constexpr const char* kInfoSymbol = "claude_jobs_plugin_info";
constexpr const char* kCreateSymbol = "claude_jobs_create_backend";
constexpr const char* kDestroySymbol = "claude_jobs_destroy_backend";

// The host reads every field of the 1.0 struct; later minors only append.
constexpr std::uint32_t kVersionFieldsEnd =
    offsetof(ClaudeJobsPluginInfo, abiMinor) + sizeof(ClaudeJobsPluginInfo::abiMinor);
constexpr std::uint32_t kFieldsReadByHost =
    offsetof(ClaudeJobsPluginInfo, stdlibAbi) + sizeof(ClaudeJobsPluginInfo::stdlibAbi);

std::string abi_version(std::uint32_t major, std::uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

std::string host_abi() {
    return abi_version(CLAUDE_JOBS_ABI_MAJOR, CLAUDE_JOBS_ABI_MINOR);
}

}  // namespace

// A loaded module. The library object is allocated and never freed: a backend instance's code
// and vtable live in the module, so unloading it while any instance exists (including during
// static destruction at exit) would leave dangling code pointers.
struct PluginRegistry::Module {
    std::string path;
    std::string name;
    boost::dll::shared_library* library = nullptr;
    ClaudeJobsCreateFn create = nullptr;
    ClaudeJobsDestroyFn destroy = nullptr;
};

std::string host_abi_version() { return host_abi(); }

std::string host_toolchain() {
    return std::string(CLAUDE_JOBS_COMPILER_ABI) + "/" + CLAUDE_JOBS_STDLIB_ABI;
}

std::string check_abi(const std::string& path, std::uint32_t abiMajor, std::uint32_t abiMinor,
                      const std::string& compilerAbi, const std::string& stdlibAbi) {
    std::string theirs = abi_version(abiMajor, abiMinor);
    if (abiMajor != CLAUDE_JOBS_ABI_MAJOR) {
        return path + ": built for plugin ABI " + theirs + ", this claude-jobs speaks " +
               host_abi();
    }
    if (abiMinor > CLAUDE_JOBS_ABI_MINOR) {
        return path + ": built for plugin ABI " + theirs + ", newer than the " + host_abi() +
               " this claude-jobs speaks; update claude-jobs or rebuild the module against its "
               "sdk";
    }
    if (compilerAbi != CLAUDE_JOBS_COMPILER_ABI) {
        return path + ": built with compiler ABI \"" + compilerAbi +
               "\", this claude-jobs uses \"" + CLAUDE_JOBS_COMPILER_ABI +
               "\"; rebuild the module with the same toolchain";
    }
    if (stdlibAbi != CLAUDE_JOBS_STDLIB_ABI) {
        return path + ": built with standard library ABI \"" + stdlibAbi +
               "\", this claude-jobs uses \"" + CLAUDE_JOBS_STDLIB_ABI +
               "\"; rebuild the module with the same toolchain";
    }
    return "";
}

ModuleReport PluginRegistry::load_file(const std::string& path) {
    ModuleReport report;
    std::error_code fsError;
    // A bare file name would make dlopen search the system library path instead of the folder.
    fs::path absolute = fs::absolute(path, fsError);
    report.path = fsError ? path : absolute.lexically_normal().string();
    const std::string& file = report.path;

    auto refuse = [&](std::string message) {
        report.loaded = false;
        report.error = std::move(message);
        spdlog::warn("backend module refused: {}", report.error);
        reports_.push_back(report);
        return report;
    };

    try {
        // Nothing opened here is ever closed, refused modules included: dlclose runs the
        // module's static destructors, and a module of a foreign ABI may crash in them.
        boost::dll::fs::error_code ec;
        auto* library = new boost::dll::shared_library(
            fs::path(file), boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local,
            ec);
        if (ec || !library->is_loaded()) {
            const char* dlopenError = dlerror();
            std::string why = dlopenError ? dlopenError : ec.message();
            // dlerror() starts with the file name, which the message already leads with.
            if (why.rfind(file + ": ", 0) == 0) why.erase(0, file.size() + 2);
            delete library;  // nothing was loaded, so this unloads nothing
            return refuse(file + ": not a loadable shared library: " + why);
        }
        if (!library->has(kInfoSymbol)) {
            return refuse(file + ": not a claude-jobs backend module: no " +
                          std::string(kInfoSymbol));
        }
        ClaudeJobsInfoFn infoFn =
            &library->get<std::remove_pointer_t<ClaudeJobsInfoFn>>(kInfoSymbol);
        const ClaudeJobsPluginInfo* info = infoFn();
        if (!info) return refuse(file + ": " + kInfoSymbol + " returned no information");
        if (info->structSize < kVersionFieldsEnd) {
            return refuse(file + ": its plugin info is too short to carry an ABI version (" +
                          std::to_string(info->structSize) + " bytes)");
        }
        report.abiKnown = true;
        report.abiMajor = info->abiMajor;
        report.abiMinor = info->abiMinor;
        // Another major may lay the struct out differently: read nothing more of it.
        if (info->abiMajor != CLAUDE_JOBS_ABI_MAJOR) {
            return refuse(check_abi(file, info->abiMajor, info->abiMinor, "", ""));
        }
        if (info->structSize < kFieldsReadByHost) {
            return refuse(file + ": its plugin info is " + std::to_string(info->structSize) +
                          " bytes, ABI " + abi_version(info->abiMajor, info->abiMinor) +
                          " needs at least " + std::to_string(kFieldsReadByHost));
        }
        if (!info->name || !*info->name || !info->version || !info->compilerAbi ||
            !info->stdlibAbi) {
            return refuse(file + ": its plugin info lacks a name, version or ABI tag");
        }
        report.name = info->name;
        report.version = info->version;
        report.compilerAbi = info->compilerAbi;
        report.stdlibAbi = info->stdlibAbi;
        if (std::string abiError =
                check_abi(file, info->abiMajor, info->abiMinor, info->compilerAbi, info->stdlibAbi);
            !abiError.empty()) {
            return refuse(abiError);
        }
        for (const char* symbol : {kCreateSymbol, kDestroySymbol}) {
            if (!library->has(symbol)) {
                return refuse(file + ": not a complete claude-jobs backend module: no " +
                              std::string(symbol));
            }
        }
        for (const auto& module : modules_) {
            if (module->name == report.name) {
                return refuse(file + ": a backend module named \"" + report.name +
                              "\" is already loaded from " + module->path);
            }
        }
        auto module = std::make_shared<Module>();
        module->path = file;
        module->name = report.name;
        module->library = library;
        module->create = &library->get<std::remove_pointer_t<ClaudeJobsCreateFn>>(kCreateSymbol);
        module->destroy = &library->get<std::remove_pointer_t<ClaudeJobsDestroyFn>>(kDestroySymbol);
        modules_.push_back(std::move(module));
        report.loaded = true;
        spdlog::info("backend module {} {} loaded from {}", report.name, report.version, file);
        reports_.push_back(report);
        return report;
    } catch (const std::exception& e) {
        return refuse(file + ": cannot load: " + e.what());
    }
}

void PluginRegistry::scan(const std::vector<std::string>& dirs) {
    std::set<fs::path> seen;
    for (const auto& dir : dirs) {
        FolderReport folder;
        folder.path = dir;
        std::error_code ec;
        fs::path canonical = fs::canonical(dir, ec);
        if (ec || !fs::is_directory(canonical, ec)) {
            folder.error = ec ? ec.message() : "not a folder";
            spdlog::debug("plugin folder {} skipped: {}", dir, folder.error);
            folders_.push_back(folder);
            continue;
        }
        folder.found = true;
        // The same folder named twice would refuse all its modules as duplicates of themselves.
        if (!seen.insert(canonical).second) {
            folder.error = "already searched as " + canonical.string();
            folders_.push_back(folder);
            continue;
        }
        std::vector<fs::path> files;
        for (fs::directory_iterator it(canonical, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& entry = it->path();
            std::error_code typeError;
            if (entry.extension() == ".so" && fs::is_regular_file(entry, typeError)) {
                files.push_back(entry);
            }
        }
        if (ec) {
            folder.error = "cannot list it whole: " + ec.message();
            spdlog::warn("cannot list plugin folder {}: {}", dir, ec.message());
        }
        folder.modules = static_cast<int>(files.size());
        folders_.push_back(folder);
        // Directory order is arbitrary; sorting makes "which duplicate wins" reproducible.
        std::sort(files.begin(), files.end());
        for (const auto& file : files) load_file(file.string());
    }
}

claude_jobs::Result<std::shared_ptr<IJobBackend>> PluginRegistry::create(
    const std::string& pluginName) const {
    for (const auto& module : modules_) {
        if (module->name != pluginName) continue;
        IJobBackend* backend = module->create();
        if (!backend) {
            return make_error(ErrorCode::Internal,
                              module->path + ": the module could not create a backend");
        }
        // The deleter holds the module's own function; the module outlives every instance.
        ClaudeJobsDestroyFn destroy = module->destroy;
        return std::shared_ptr<IJobBackend>(backend, [destroy](IJobBackend* b) { destroy(b); });
    }
    std::string loaded;
    for (const auto& module : modules_) loaded += (loaded.empty() ? "" : ", ") + module->name;
    std::string message = "no backend module named \"" + pluginName +
                          "\" is loaded (loaded: " + (loaded.empty() ? "none" : loaded) + ")";
    // A refused module of that name, or in a file of that name, is most likely the one meant.
    for (const auto& report : reports_) {
        if (!report.loaded &&
            (report.name == pluginName || fs::path(report.path).stem().string() == pluginName)) {
            message += "; refused: " + report.error;
        }
    }
    return make_error(ErrorCode::NotFound, message);
}

}  // namespace cj::plugins
