// The plugin loader: the only code that touches Boost.DLL. It finds backend modules in
// folders, reads and checks their info struct before trusting anything else in them, and
// creates backend instances. Modules are never unloaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "claude_jobs/job_backend.h"
#include "claude_jobs/result.h"

namespace cj::plugins {

// What the loader found in one file, loaded or refused.
struct ModuleReport {
    std::string path;
    std::string name;     // from the info struct; "" when it could not be read
    std::string version;
    bool abiKnown = false;  // abiMajor/abiMinor were read from the module
    std::uint32_t abiMajor = 0;
    std::uint32_t abiMinor = 0;
    std::string compilerAbi;  // the module's toolchain tags, when read
    std::string stdlibAbi;
    bool loaded = false;
    std::string error;    // why it was refused, naming the file and both versions when relevant
};

// One folder scan() looked in.
struct FolderReport {
    std::string path;   // as configured
    bool found = false;  // it exists and is a folder
    std::string error;  // why it was not searched, or could not be listed whole ("" when fine)
    int modules = 0;    // "*.so" files found in it
};

// The host's plugin ABI ("1.0") and toolchain tags ("itanium/libstdc++-cxx11").
std::string host_abi_version();
std::string host_toolchain();

// Thread-safe after scan().
class PluginRegistry {
public:
    // Loads every "*.so" in each folder, in order. A missing folder is skipped quietly; a
    // module whose name was already loaded from an earlier folder is refused as a duplicate.
    void scan(const std::vector<std::string>& dirs);

    const std::vector<ModuleReport>& reports() const { return reports_; }
    const std::vector<FolderReport>& folders() const { return folders_; }

    // A new backend instance of the named plugin. NotFound when no loaded module has that
    // name (the message lists the loaded ones and any refusal of that name).
    claude_jobs::Result<std::shared_ptr<claude_jobs::IJobBackend>> create(
        const std::string& pluginName) const;

    // Reads and checks one file; used by scan() and by tests.
    ModuleReport load_file(const std::string& path);

private:
    struct Module;
    std::vector<ModuleReport> reports_;
    std::vector<FolderReport> folders_;
    std::vector<std::shared_ptr<Module>> modules_;
};

// The loader's verdict on an info struct, without loading anything: "" when acceptable.
std::string check_abi(const std::string& path, std::uint32_t abiMajor, std::uint32_t abiMinor,
                      const std::string& compilerAbi, const std::string& stdlibAbi);

}  // namespace cj::plugins
