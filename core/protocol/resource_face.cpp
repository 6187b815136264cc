#include "core/protocol/resource_face.h"

#include "core/transcript/text.h"

namespace cj::protocol {

using claude_jobs::ErrorCode;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxUriBytes = 1024;

// params must be an object (or absent where nothing is required).
std::optional<Error> not_an_object(const json& params, const char* method, bool optional) {
    if (params.is_object() || (optional && params.is_null())) return std::nullopt;
    return Error{kInvalidParams, std::string(method) + " params must be an object", nullptr};
}

// params.uri: a string of a sensible length.
std::variant<std::string, Error> uri_of(const json& params, const char* method) {
    if (auto bad = not_an_object(params, method, false)) return *bad;
    auto it = params.find("uri");
    if (it == params.end() || !it->is_string())
        return Error{kInvalidParams, std::string(method) + " params.uri must be a string", nullptr};
    const auto& uri = it->get_ref<const std::string&>();
    if (uri.size() > kMaxUriBytes)
        return Error{kInvalidParams,
                     std::string(method) + " params.uri is longer than " +
                         std::to_string(kMaxUriBytes) + " bytes",
                     nullptr};
    return uri;
}

Error from_failure(const claude_jobs::Error& error, const std::string& uri) {
    switch (error.code) {
        case ErrorCode::NotFound:
            return Error{kResourceNotFound, error.message, json{{"uri", uri}}};
        case ErrorCode::InvalidArgument:
            return Error{kInvalidParams, error.message, nullptr};
        default:
            return Error{kInternalError, error.message, nullptr};
    }
}

}  // namespace

json ResourceFace::capability() const {
    return {{"subscribe", true}, {"listChanged", false}};
}

Outcome ResourceFace::list(const json& params) const {
    if (auto bad = not_an_object(params, "resources/list", true)) return *bad;
    std::string cursor;
    if (params.is_object()) {
        if (auto it = params.find("cursor"); it != params.end() && !it->is_null()) {
            if (!it->is_string())
                return Error{kInvalidParams, "resources/list params.cursor must be a string",
                             nullptr};
            cursor = it->get<std::string>();
        }
    }
    auto page = resources_.list(cursor);
    if (!page) return from_failure(page.error(), "");
    json result = {{"resources", std::move(page->resources)}};
    if (!page->nextCursor.empty()) result["nextCursor"] = page->nextCursor;
    return result;
}

Outcome ResourceFace::templates(const json& params) const {
    if (auto bad = not_an_object(params, "resources/templates/list", true)) return *bad;
    json list = json::array();
    for (const auto& t : resources_.templates) {
        list.push_back({{"uriTemplate", t.uriTemplate},
                        {"name", t.name},
                        {"title", t.title},
                        {"description", t.description},
                        {"mimeType", t.mimeType}});
    }
    return json{{"resourceTemplates", std::move(list)}};
}

Outcome ResourceFace::read(const json& params) const {
    auto uri = uri_of(params, "resources/read");
    if (auto* error = std::get_if<Error>(&uri)) return *error;
    const auto& name = std::get<std::string>(uri);
    auto contents = resources_.read(name);
    if (!contents) return from_failure(contents.error(), name);
    return json{{"contents", std::move(*contents)}};
}

Outcome ResourceFace::subscribe(const json& params) {
    auto uri = uri_of(params, "resources/subscribe");
    if (auto* error = std::get_if<Error>(&uri)) return *error;
    const auto& name = std::get<std::string>(uri);
    if (!resources_.exists(name))
        return Error{kResourceNotFound,
                     "resource not found: " + transcript::one_line(name, 200) +
                         " (resources/templates/list says which URIs exist)",
                     json{{"uri", name}}};
    std::lock_guard<std::mutex> lock(mutex_);
    subscribed_.insert(name);
    return json::object();
}

Outcome ResourceFace::unsubscribe(const json& params) {
    auto uri = uri_of(params, "resources/unsubscribe");
    if (auto* error = std::get_if<Error>(&uri)) return *error;
    std::lock_guard<std::mutex> lock(mutex_);
    subscribed_.erase(std::get<std::string>(uri));
    return json::object();
}

bool ResourceFace::subscribed(const std::string& uri) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return subscribed_.count(uri) != 0;
}

}  // namespace cj::protocol
