#include "core/jobs/backend_report.h"

#include <unistd.h>

namespace cj::jobs {

std::vector<BackendReport> report_backends(const config::Config& config,
                                           const BackendSet& backends) {
    std::vector<BackendReport> out;
    for (const auto& e : backends.entries()) {
        BackendReport b;
        b.name = e.name;
        b.plugin = e.plugin;
        b.isDefault = e.name == config.defaultBackend;
        auto health = backends.health(e);
        b.available = static_cast<bool>(health);
        if (!health) b.reason = health.error().message;
        b.version = e.info.version;
        b.description = e.info.description;
        b.capabilities = e.capabilities;
        out.push_back(std::move(b));
    }
    return out;
}

std::vector<std::string> setup_warnings(const config::Config& config,
                                        const std::vector<std::string>& baseEnv) {
    std::vector<std::string> warnings;
    bool sandbox = config.claude.env.count("IS_SANDBOX") > 0;
    for (const auto& entry : baseEnv)
        if (entry.rfind("IS_SANDBOX=", 0) == 0) sandbox = true;
    if (::geteuid() == 0 && config.claude.permissionMode == "bypassPermissions" && !sandbox)
        warnings.push_back(
            "running as root: claude refuses permissionMode bypassPermissions as root unless "
            "IS_SANDBOX=1 is in its environment, so jobs will fail. Run as a normal user, set "
            "claude.permissionMode (e.g. acceptEdits), or — only inside a container or VM — add "
            "\"IS_SANDBOX\": \"1\" to claude.env.");
    return warnings;
}

}  // namespace cj::jobs
