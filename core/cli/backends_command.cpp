// backends: what claude_backends says, as tables: each configured backend (usable or why
// not) and each plugin module found (loaded or refused, with the reason).
#include <cstdio>

#include "core/cli/commands.h"
#include "core/cli/table.h"

namespace cj::cli {

using nlohmann::json;

int run_backends(const GlobalOptions& global, bool asJson) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto report = (*session)->call("claude_backends", json::object());
    if (!report) return report_error(report.error());
    if (asJson) {
        std::printf("%s\n", report->dump(2).c_str());
        return kExitOk;
    }
    bool colour = colour_stdout();
    Table backends({"BACKEND", "PLUGIN", "DEFAULT", "STATE", "CAPABILITIES / REASON"});
    for (const auto& b : (*report)["backends"]) {
        bool available = b.value("available", false);
        std::string detail;
        if (available) {
            for (const auto& [name, on] : b["capabilities"].items())
                if (on.is_boolean() && on.get<bool>())
                    detail += (detail.empty() ? "" : ", ") + name;
        } else {
            detail = b.value("reason", "");
        }
        backends.add(
            {b.value("name", ""), b.value("plugin", ""), b.value("default", false) ? "yes" : "",
             Cell(available ? "available" : "unavailable", available ? Tone::Good : Tone::Bad),
             detail});
    }
    Table modules({"MODULE", "VERSION", "ABI", "STATE", "FILE / REASON"});
    for (const auto& m : (*report)["modules"]) {
        bool loaded = m.value("loaded", false);
        modules.add({m.value("name", "?"), m.value("version", ""), m.value("abi", ""),
                     Cell(loaded ? "loaded" : "refused", loaded ? Tone::Good : Tone::Bad),
                     loaded ? m.value("path", "") : m.value("error", "")});
    }
    std::string out = backends.render(colour) + "\n" + modules.render(colour);
    for (const auto& w : (*report)["warnings"])
        out +=
            "\n" + paint("warning: ", Tone::Warn, colour) + clean_cell(w.get<std::string>()) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
}

}  // namespace cj::cli
