#include "core/tools/readable.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace cj::tools {

using nlohmann::json;

namespace {

bool is_plain(const json& v) { return v.is_primitive(); }

// What a reader looks for first comes first; the rest in the object's (alphabetical) order.
constexpr std::string_view kFirst[] = {"jobId",     "status",    "reason",    "exitCode",
                                       "message",   "error",     "code",      "backend",
                                       "label",     "workFolder", "createdAt", "startedAt",
                                       "endedAt",   "elapsedMs"};

int rank(std::string_view key) {
    for (std::size_t i = 0; i < std::size(kFirst); ++i)
        if (kFirst[i] == key) return static_cast<int>(i);
    return static_cast<int>(std::size(kFirst));
}

// Fields in reading order: the known ones, other one-line values, nested ones, long texts.
std::vector<std::pair<std::string, const json*>> ordered(const json& object) {
    auto weight = [](const std::string& key, const json& v) {
        int r = rank(key);
        if (r < static_cast<int>(std::size(kFirst))) return r;
        if (v.is_string() && v.get_ref<const std::string&>().find('\n') != std::string::npos)
            return r + 3;
        if (v.is_primitive()) return r + 1;
        return r + 2;
    };
    std::vector<std::pair<std::string, const json*>> fields;
    for (const auto& [key, value] : object.items()) fields.emplace_back(key, &value);
    std::stable_sort(fields.begin(), fields.end(), [&](const auto& a, const auto& b) {
        return weight(a.first, *a.second) < weight(b.first, *b.second);
    });
    return fields;
}

bool is_empty(const json& v) {
    return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
           ((v.is_array() || v.is_object()) && v.empty());
}

std::string scalar(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A cell or a list item: one line.
std::string one_line(const json& v) {
    std::string s = scalar(v);
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return s;
}

bool is_table(const json& v) {
    if (!v.is_array() || v.empty()) return false;
    for (const auto& item : v) {
        if (!item.is_object()) return false;
        for (const auto& [key, field] : item.items())
            if (!is_plain(field)) return false;
    }
    return true;
}

void text_block(std::string& out, const std::string& indent, std::string_view text) {
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        out += indent;
        out += text.substr(start, nl - start);
        out += '\n';
        start = nl + 1;
    }
}

void render_object(std::string& out, const json& object, const std::string& indent);

void render_table(std::string& out, const std::string& key, const json& rows,
                  const std::string& indent) {
    // The columns in order of first appearance.
    std::vector<std::string> columns;
    for (const auto& row : rows)
        for (const auto& [name, value] : ordered(row))
            if (std::find(columns.begin(), columns.end(), name) == columns.end())
                columns.push_back(name);
    std::stable_sort(columns.begin(), columns.end(),
                     [](const auto& a, const auto& b) { return rank(a) < rank(b); });
    std::vector<std::string> shown;
    std::string common;
    for (const auto& name : columns) {
        bool any = false, same = rows.size() > 1;
        const json* first = nullptr;
        for (const auto& row : rows) {
            auto it = row.find(name);
            const json* v = it == row.end() ? nullptr : &*it;
            if (v && !is_empty(*v)) any = true;
            if (!first) first = v;
            if (!v || !first || *v != *first) same = false;
        }
        if (!any) continue;
        if (same) {
            common += indent + "  " + name + ": " + one_line(*first) + " (every row)\n";
            continue;
        }
        shown.push_back(name);
    }
    out += indent + key + " (" + std::to_string(rows.size()) + "):";
    for (std::size_t i = 0; i < shown.size(); ++i) out += (i ? " | " : " ") + shown[i];
    out += '\n';
    out += common;
    for (const auto& row : rows) {
        out += indent + "  ";
        for (std::size_t i = 0; i < shown.size(); ++i) {
            if (i) out += " | ";
            auto it = row.find(shown[i]);
            if (it != row.end() && !it->is_null()) out += one_line(*it);
        }
        out += '\n';
    }
}

void render_field(std::string& out, const std::string& key, const json& value,
                  const std::string& indent) {
    if (is_empty(value)) return;
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        if (s.find('\n') == std::string::npos) {
            out += indent + key + ": " + s + "\n";
        } else {
            out += indent + key + ":\n";
            text_block(out, indent + "  ", s);
        }
    } else if (is_plain(value)) {
        out += indent + key + ": " + scalar(value) + "\n";
    } else if (value.is_object()) {
        out += indent + key + ":\n";
        render_object(out, value, indent + "  ");
    } else if (std::all_of(value.begin(), value.end(), [](const json& v) { return is_plain(v); })) {
        out += indent + key + ": ";
        bool first = true;
        for (const auto& item : value) {
            out += (first ? "" : ", ") + one_line(item);
            first = false;
        }
        out += '\n';
    } else if (is_table(value)) {
        render_table(out, key, value, indent);
    } else {
        out += indent + key + " (" + std::to_string(value.size()) + "):\n";
        std::size_t n = 0;
        for (const auto& item : value) {
            out += indent + "- " + std::to_string(++n) + "\n";
            if (item.is_object())
                render_object(out, item, indent + "  ");
            else
                render_field(out, "item", item, indent + "  ");
        }
    }
}

void render_object(std::string& out, const json& object, const std::string& indent) {
    for (const auto& [key, value] : ordered(object)) render_field(out, key, *value, indent);
}

}  // namespace

std::string left_to_structured(std::size_t size, std::string_view unit) {
    return "(" + std::to_string(size) + " " + std::string(unit) + ", in structuredContent)";
}

json leave_to_structured(json value, std::initializer_list<std::string_view> pointers) {
    for (std::string_view text : pointers) {
        json::json_pointer pointer{std::string(text)};
        if (!value.contains(pointer)) continue;
        json& field = value.at(pointer);
        if (is_empty(field)) {
            value.at(pointer.parent_pointer()).erase(pointer.back());
        } else if (field.is_string()) {
            field = left_to_structured(field.get_ref<const std::string&>().size(), "bytes");
        } else if (field.is_array()) {
            field = left_to_structured(field.size(), field.size() == 1 ? "item" : "items");
        } else if (field.is_object()) {
            field = left_to_structured(
                field.dump(-1, ' ', false, json::error_handler_t::replace).size(), "bytes");
        }
    }
    return value;
}

std::string readable(const json& value) {
    std::string out;
    if (value.is_object())
        render_object(out, value, "");
    else
        render_field(out, "value", value, "");
    return out;
}

}  // namespace cj::tools
