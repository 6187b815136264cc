#include "core/tools/args.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/transcript/text.h"

namespace cj::tools {

using nlohmann::json;
using transcript::one_line;

namespace {
std::string type_name(const json& j) {
    if (j.is_null()) return "null";
    if (j.is_boolean()) return "a boolean";
    if (j.is_number()) return "a number";
    if (j.is_string()) return "a string";
    if (j.is_array()) return "an array";
    return "an object";
}
}  // namespace

Args::Args(const json& args, std::vector<std::string> known) : args_(args) {
    if (!args.is_object()) throw ArgumentError{"arguments must be an object"};
    for (const auto& [name, value] : args.items()) {
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            throw ArgumentError{"unknown argument \"" + one_line(name, 64) + "\" (" +
                                (list.empty() ? "this tool takes none" : "known: " + list) + ")"};
        }
    }
}

const json* Args::find(const std::string& name) const {
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) return nullptr;  // null = absent, for lenient clients
    return &*it;
}

std::optional<std::string> Args::string(const std::string& name, std::size_t maxBytes) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw ArgumentError{name + " must be a string, not " + type_name(*v)};
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > maxBytes)
        throw ArgumentError{name + " is " + std::to_string(s.size()) + " bytes; the limit is " +
                            std::to_string(maxBytes)};
    return s;
}

std::string Args::required_string(const std::string& name, std::size_t maxBytes) const {
    auto s = string(name, maxBytes);
    if (!s) throw ArgumentError{name + " is required"};
    return *s;
}

std::optional<std::int64_t> Args::integer(const std::string& name, std::int64_t min,
                                          std::int64_t max, const char* meaning) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    std::int64_t n;
    auto out_of_range = [&]() {
        std::string range = meaning              ? std::string(meaning)
                            : max == INT64_MAX ? std::to_string(min) + " or more"
                                               : "from " + std::to_string(min) + " to " +
                                                     std::to_string(max);
        return ArgumentError{name + " must be " + range + ", got " + one_line(v->dump(), 40)};
    };
    if (v->is_number_unsigned()) {
        if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) throw out_of_range();
        n = static_cast<std::int64_t>(v->get<std::uint64_t>());
    } else if (v->is_number_integer()) {
        n = v->get<std::int64_t>();
    } else if (v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>()) {
        double d = v->get<double>();  // 25.0 is an integer
        if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max))) throw out_of_range();
        n = static_cast<std::int64_t>(d);
    } else {
        throw ArgumentError{name + " must be an integer, not " + type_name(*v)};
    }
    if (n < min || n > max) throw out_of_range();
    return n;
}

std::optional<std::int64_t> Args::any_integer(const std::string& name) const {
    const json* v = find(name);
    if (v && v->is_number() && !v->is_number_integer() && !v->is_number_unsigned()) {
        double d = v->get<double>();
        if (std::trunc(d) == d && !(d >= -9.2e18 && d <= 9.2e18))
            throw ArgumentError{name + " is too large, got " + v->dump()};
    }
    if (v && v->is_number_unsigned() &&
        v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        throw ArgumentError{name + " is too large, got " + v->dump()};
    return integer(name, INT64_MIN, INT64_MAX);
}

std::optional<double> Args::number(const std::string& name, double min, double max) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw ArgumentError{name + " must be a number, not " + type_name(*v)};
    double d = v->get<double>();
    if (!(d >= min && d <= max))
        throw ArgumentError{name + " must be between " + json(min).dump() + " and " +
                            json(max).dump()};
    return d;
}

std::optional<bool> Args::boolean(const std::string& name) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw ArgumentError{name + " must be a boolean, not " + type_name(*v)};
    return v->get<bool>();
}

std::optional<json> Args::object(const std::string& name) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_object()) throw ArgumentError{name + " must be an object, not " + type_name(*v)};
    return *v;
}

std::vector<std::string> Args::strings(const std::string& name, std::size_t maxItems,
                                       std::size_t maxBytes) const {
    const json* v = find(name);
    if (!v) return {};
    std::vector<std::string> out;
    auto take = [&](const json& item) {
        if (!item.is_string())
            throw ArgumentError{name + " must hold strings, not " + type_name(item)};
        const auto& s = item.get_ref<const std::string&>();
        if (s.empty() || s.size() > maxBytes)
            throw ArgumentError{name + " items must be 1 to " + std::to_string(maxBytes) +
                                " bytes"};
        out.push_back(s);
    };
    if (v->is_string()) {
        take(*v);
    } else if (v->is_array()) {
        if (v->size() > maxItems)
            throw ArgumentError{name + " holds " + std::to_string(v->size()) +
                                " items; the limit is " + std::to_string(maxItems)};
        for (const auto& item : *v) take(item);
    } else {
        throw ArgumentError{name + " must be a string or an array of strings, not " +
                            type_name(*v)};
    }
    return out;
}

std::vector<std::string> Args::string_list(const std::string& name) const {
    const json* v = find(name);
    if (!v) return {};
    if (v->is_string()) return {v->get<std::string>()};
    if (!v->is_array())
        throw ArgumentError{name + " must be a string or an array of strings, not " +
                            type_name(*v)};
    std::vector<std::string> out;
    for (const auto& item : *v) {
        if (!item.is_string())
            throw ArgumentError{name + " must hold strings, not " + type_name(item)};
        out.push_back(item.get<std::string>());
    }
    return out;
}

ToolResult error_result(const claude_jobs::Error& error) {
    return ToolResult{{{"error",
                        {{"code", claude_jobs::error_code_name(error.code)},
                         {"message", error.message},
                         {"retryable", error.retryable}}}},
                      true};
}

ToolResult error_result(claude_jobs::ErrorCode code, const std::string& message) {
    return error_result(claude_jobs::make_error(code, message));
}

json error_schema() {
    return {{"type", "object"},
            {"properties",
             {{"code",
               {{"type", "string"},
                {"enum",
                 {"not_found", "invalid_argument", "already_exists", "unavailable", "limit_reached",
                  "permission_denied", "internal"}}}},
              {"message", {{"type", "string"}}},
              {"retryable", {{"type", "boolean"}}}}},
            {"required", {"code", "message"}}};
}

json job_id_schema() {
    return {{"type", "string"},
            {"description", "The job's id, as claude_start returned it. Example: \"j8k2m4\"."}};
}

json annotations(bool readOnly, bool destructive, bool idempotent) {
    return {{"readOnlyHint", readOnly},
            {"destructiveHint", destructive},
            {"idempotentHint", idempotent},
            {"openWorldHint", false}};
}

json output_schema(json schema) {
    json required = schema.contains("required") ? schema["required"] : json::array();
    schema.erase("required");
    schema["properties"]["error"] = error_schema();
    schema["anyOf"] = json::array({{{"required", required}}, {{"required", {"error"}}}});
    return schema;
}

std::optional<std::int64_t> parse_list_cursor(const std::string& cursor) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), value);
    if (ec != std::errc() || end != cursor.data() + cursor.size() || value <= 0) return std::nullopt;
    return value;
}

}  // namespace cj::tools
