// The job view on the wire: its JSON schema and the rendering of a jobs::JobView, side by
// side, so a field is added in one place. Used by every tool that returns a job view.
#pragma once

#include <nlohmann/json.hpp>

#include "core/jobs/job_view.h"

namespace cj::tools {

nlohmann::json job_view_schema();
nlohmann::json to_json(const jobs::JobView& view);

// A view as a brief shows it (ToolResult::brief): every field but the long texts (the
// transcript tail, the stderr tail, the final answer and the last text, a structured
// result), which are left to structuredContent with a note of their size.
nlohmann::json view_brief(nlohmann::json view);

}  // namespace cj::tools
