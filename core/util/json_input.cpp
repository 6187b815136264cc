// Depth-bounded JSON parsing (see json_input.h): a SAX handler that builds the tree like
// nlohmann's own DOM builder, with an explicit stack, and stops building below the limit.
#include "core/util/json_input.h"

#include <utility>
#include <vector>

namespace cj::util {

namespace {

// The SAX interface nlohmann's sax_parse expects. Holds only pointers into the tree being
// built: a container's parent is never written to while the container is open, so they stay
// valid.
template <class Json>
class BoundedBuilder {
  public:
    using number_integer_t = typename Json::number_integer_t;
    using number_unsigned_t = typename Json::number_unsigned_t;
    using number_float_t = typename Json::number_float_t;
    using string_t = typename Json::string_t;
    using binary_t = typename Json::binary_t;

    BoundedBuilder(ParsedJson<Json>& out, std::size_t maxDepth) : out_(out), maxDepth_(maxDepth) {}

    bool null() { return scalar(Json(nullptr)); }
    bool boolean(bool v) { return scalar(Json(v)); }
    bool number_integer(number_integer_t v) { return scalar(Json(v)); }
    bool number_unsigned(number_unsigned_t v) { return scalar(Json(v)); }
    bool number_float(number_float_t v, const string_t&) { return scalar(Json(v)); }
    bool string(string_t& v) { return scalar(Json(std::move(v))); }
    bool binary(binary_t& v) { return scalar(Json::binary(std::move(v))); }  // not in JSON text

    bool start_object(std::size_t) { return open(Json::object()); }
    bool start_array(std::size_t) { return open(Json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(string_t& k) {
        if (skipped_ == 0) key_ = std::move(k);
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
        std::string message = ex.what();
        // Drop the library's "[json.exception.parse_error.101] " tag; keep "parse error at
        // line L, column C: ...".
        if (auto tagEnd = message.find("] ");
            message.rfind("[json.", 0) == 0 && tagEnd != std::string::npos) {
            message.erase(0, tagEnd + 2);
        }
        out_.status = JsonStatus::Syntax;
        out_.error = std::move(message);
        return false;  // stop: nothing after a syntax error is worth reading
    }

  private:
    bool scalar(Json&& value) {
        if (skipped_ == 0) place(std::move(value));
        return true;
    }

    bool open(Json&& empty) {
        if (skipped_ > 0 || open_.size() >= maxDepth_) {
            // Too deep: stand a null in for this value, then only count levels until it ends.
            // Reading on (rather than stopping) still tells a broken text from a deep one.
            if (skipped_++ == 0) place(Json(nullptr));
            out_.status = JsonStatus::TooDeep;
            return true;
        }
        open_.push_back(place(std::move(empty)));
        return true;
    }

    bool close() {
        if (skipped_ > 0) {
            --skipped_;
        } else {
            open_.pop_back();
        }
        return true;
    }

    Json* place(Json&& value) {
        if (open_.empty()) {
            out_.value = std::move(value);
            return &out_.value;
        }
        Json& parent = *open_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        Json& slot = parent[key_];
        slot = std::move(value);
        return &slot;
    }

    ParsedJson<Json>& out_;
    std::size_t maxDepth_;
    std::vector<Json*> open_;  // the containers being filled, outermost first
    std::size_t skipped_ = 0;  // levels open inside the value being skipped
    string_t key_;             // the key of the next member of the innermost object
};

}  // namespace

template <class Json>
ParsedJson<Json> parse_json_input(std::string_view text, std::size_t maxDepth) {
    ParsedJson<Json> out;
    BoundedBuilder<Json> builder(out, maxDepth);
    Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                    /*strict=*/true);
    if (out.status == JsonStatus::Syntax) {
        out.value = Json(Json::value_t::discarded);
    } else if (out.status == JsonStatus::TooDeep) {
        out.error = "nested deeper than " + std::to_string(maxDepth) + " levels";
    }
    return out;
}

template ParsedJson<nlohmann::json> parse_json_input<nlohmann::json>(std::string_view, std::size_t);
template ParsedJson<nlohmann::ordered_json> parse_json_input<nlohmann::ordered_json>(
    std::string_view, std::size_t);

nlohmann::json parse_json_or_discarded(std::string_view text) {
    ParsedJson<nlohmann::json> parsed = parse_json_input(text);
    if (!parsed.ok()) return nlohmann::json(nlohmann::json::value_t::discarded);
    return std::move(parsed.value);
}

}  // namespace cj::util
