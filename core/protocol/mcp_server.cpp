// One MCP session over a pair of descriptors: the initialize gate and version negotiation,
// the method table, tools/list and tools/call, cancellation, and the stop at end of input.
#include "core/protocol/mcp_server.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <spdlog/spdlog.h>

#include "core/protocol/discover.h"
#include "core/protocol/in_flight.h"
#include "core/protocol/jsonrpc.h"
#include "core/protocol/line_reader.h"
#include "core/protocol/message_writer.h"
#include "core/protocol/resource_face.h"
#include "core/protocol/task_extension.h"
#include "core/protocol/task_face.h"
#include "core/protocol/tool_result.h"
#include "core/transcript/text.h"

#ifndef CLAUDE_JOBS_VERSION
#define CLAUDE_JOBS_VERSION "0.0.0"
#endif

namespace cj::protocol {

using nlohmann::json;

bool McpServer::notify(const std::string& method, const json& params) {
    std::lock_guard<std::mutex> lock(senderMutex_);
    return sender_ && sender_(method, params);
}

void McpServer::resource_updated(const std::string& uri) {
    std::lock_guard<std::mutex> lock(senderMutex_);
    if (updated_) updated_(uri);
}

const std::vector<std::string>& supported_protocol_versions() {
    static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                      "2024-11-05"};
    return versions;
}

namespace {

using Clock = std::chrono::steady_clock;

// A name the client sent, as an error message quotes it: one line, at most 100 bytes (a
// method name can be most of a megabyte-long line).
std::string quoted_name(const std::string& name) {
    return "\"" + transcript::one_line(name, 100) + "\"";
}

// Where a method runs. Inline methods are answered on the reader thread: they never block,
// and initialize must be fully answered before the next line is looked at, so the gate is
// exact. Anything that may block (a tool, later the job store) runs on a worker thread.
enum class Execution { Inline, Worker };

struct Method {
    // Refused until initialize has been answered, or without the 2026-07-28 era's _meta.
    // MCP allows only ping (and server/discover) before either.
    bool needsInitialize = true;
    Execution execution = Execution::Worker;
    std::function<Outcome(const Request&, tools::RequestContext&)> handle;
};

Error invalid_params(std::string message) {
    return Error{kInvalidParams, std::move(message), nullptr};
}

json to_response(const RequestId& id, Outcome outcome) {
    if (auto* error = std::get_if<Error>(&outcome)) return make_error(id, *error);
    return make_result(id, std::move(std::get<json>(outcome)));
}

// MCP puts the progress token in params._meta; only strings and integers are tokens.
std::optional<json> progress_token_of(const json& params) {
    if (!params.is_object()) return std::nullopt;
    auto meta = params.find("_meta");
    if (meta == params.end() || !meta->is_object()) return std::nullopt;
    auto token = meta->find("progressToken");
    if (token == meta->end() || !(token->is_string() || token->is_number_integer())) {
        return std::nullopt;
    }
    return *token;
}

bool is_blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

void log_outcome(const Request& request, Clock::time_point started, const json& response) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (auto error = response.find("error"); error != response.end()) {
        spdlog::debug("{} id={} failed in {} ms: {} {}", request.method, to_string(request.id),
                      ms.count(), error->value("code", 0), error->value("message", ""));
    } else {
        spdlog::debug("{} id={} answered in {} ms", request.method, to_string(request.id),
                      ms.count());
    }
}

// Everything that lives as long as one serve() call. Workers reference it; run() does not
// return before they have all exited.
class Session {
  public:
    Session(const std::vector<tools::Tool>& tools, const tools::Resources& resources,
            const tools::Tasks& tasks, const ServerOptions& options, int outFd)
        : tools_(tools),
          options_(options),
          resources_(resources),
          tasks_(tasks),
          taskExtension_(tasks),
          provider_(tasks),
          writer_(outFd),
          inFlight_(static_cast<std::size_t>(std::max(1, options.maxConcurrentRequests)),
                    [this](const json& response) { writer_.send(response); }) {
        for (const auto& tool : tools_) {
            if (!toolsByName_.emplace(tool.name, &tool).second) {
                spdlog::warn("tool {} is registered twice; the first one is served", tool.name);
            }
        }
        methods_.emplace("initialize", Method{false, Execution::Inline,
                                              [this](const Request& r, tools::RequestContext&) {
                                                  return initialize(r);
                                              }});
        methods_.emplace("ping", Method{false, Execution::Inline,
                                        [](const Request&, tools::RequestContext&) -> Outcome {
                                            return json::object();
                                        }});
        methods_.emplace("tools/list", Method{true, Execution::Inline,
                                              [this](const Request& r, tools::RequestContext&) {
                                                  return list_tools(r);
                                              }});
        methods_.emplace("tools/call", Method{true, Execution::Worker,
                                              [this](const Request& r, tools::RequestContext& ctx) {
                                                  return call_tool(r, ctx);
                                              }});
        if (resources_.enabled()) add_resource_methods();
        if (tasks_.enabled()) add_task_methods();
        methods_.emplace(
            "subscriptions/listen",
            Method{true, Execution::Worker, [this](const Request& r, tools::RequestContext& ctx) {
                       return listen(r, ctx);
                   }});
        // The 2026-07-28 era's discovery: no initialize, no era needed (docs/protocol.md).
        if (options_.discover)
            methods_.emplace("server/discover",
                             Method{false, Execution::Inline,
                                    [this](const Request&, tools::RequestContext&) -> Outcome {
                                        return discover_result(modern_description());
                                    }});
    }

    // Tells the client that a URI it subscribed to changed; nothing when it did not subscribe.
    void resource_updated(const std::string& uri) {
        if (resources_.subscribed(uri))
            notify_client("notifications/resources/updated", {{"uri", uri}});
        for (const auto& id :
             listeners_for([&uri](const Listener& l) { return l.uris.count(uri) > 0; }))
            notify_client("notifications/resources/updated",
                          {{"uri", uri}, {"_meta", {{kSubscriptionIdKey, id}}}});
    }

    // A notification of the server's own: only to a client that chose its era.
    bool notify_client(const std::string& method, const json& params) {
        if ((!initialized_ && gate_.era() != Era::Modern) || writer_.broken()) return false;
        writer_.send(make_notification(method, params));
        return true;
    }

    int run(int inFd) {
        const auto limit =
            static_cast<std::size_t>(std::max<std::int64_t>(1, options_.maxMessageBytes));
        LineReader reader(inFd, limit);
        reader_ = &reader;
        // Status changes of this connection's tasks: to a 2025-11-25 client once tasks are
        // agreed, and in the 2026-07-28 era to the listen streams that asked for them.
        std::function<void()> stopWatch = [] {};
        if (provider_.watch)
            stopWatch = provider_.watch([this](const tools::TaskInfo& task) {
                if (tasksAgreed_)
                    notify_client("notifications/tasks/status", TaskFace::task_json(task));
                auto ids = listeners_for(
                    [&task](const Listener& l) { return l.tasks.count(task.taskId) > 0; });
                if (ids.empty()) return;
                json params = taskExtension_.detailed(task);
                for (const auto& id : ids) {
                    params["_meta"][kSubscriptionIdKey] = id;
                    notify_client("notifications/tasks/status", params);
                }
            });
        // Reading is a role the workers take in turn (in_flight.h): this thread only waits.
        inFlight_.start_reading([this] { read_input(); });
        inFlight_.wait_for_input_end();
        spdlog::debug("end of input; {} request(s) in flight are cancelled and answered",
                      inFlight_.size());
        inFlight_.cancel_all();
        inFlight_.wait_all();
        stopWatch();
        reader_ = nullptr;
        return 0;
    }

  private:
    void add_resource_methods() {
        auto add = [this](const char* name, Execution execution, auto handler) {
            methods_.emplace(
                name, Method{true, execution, [handler](const Request& r, tools::RequestContext&) {
                                 return handler(r.params);
                             }});
        };
        // Reads touch the job store: on a worker. The template list and unsubscribe do not.
        add("resources/list", Execution::Worker,
            [this](const json& p) { return resources_.list(p); });
        add("resources/templates/list", Execution::Inline,
            [this](const json& p) { return resources_.templates(p); });
        add("resources/read", Execution::Worker,
            [this](const json& p) { return resources_.read(p); });
        // The 2026-07-28 era replaced them with subscriptions/listen.
        auto legacy = [this](const char* name, auto handler) {
            return [this, name, handler](const json& p) -> Outcome {
                if (gate_.era() == Era::Modern)
                    return Error{kMethodNotFound,
                                 std::string("method not found: \"") + name +
                                     "\" is not in protocol 2026-07-28",
                                 nullptr};
                return handler(p);
            };
        };
        add("resources/subscribe", Execution::Worker,
            legacy("resources/subscribe",
                   [this](const json& p) { return resources_.subscribe(p); }));
        add("resources/unsubscribe", Execution::Inline,
            legacy("resources/unsubscribe",
                   [this](const json& p) { return resources_.unsubscribe(p); }));
    }

    // Two faces of the same tasks, chosen by the connection's era: the 2025-11-25 utility for
    // a client that agreed on that version in initialize, the tasks extension for a
    // 2026-07-28 request that declares it. A method one face lacks is -32601 in that era.
    void add_task_methods() {
        using Handler = std::function<Outcome(const Request&, tools::RequestContext&)>;
        auto add = [this](const char* name, Handler legacy, Handler modern) {
            auto serve = [this, name, legacy, modern](const Request& r,
                                                      tools::RequestContext& ctx) -> Outcome {
                if (gate_.era() == Era::Modern) {
                    if (!modern)
                        return Error{kMethodNotFound,
                                     std::string("method not found: \"") + name +
                                         "\" is not in the tasks extension of protocol "
                                         "2026-07-28 (tasks/get answers a task's result)",
                                     nullptr};
                    if (!era_meta_of(r.params).declares_extension(kTasksExtension))
                        return missing_capability(name, TaskExtension::required_capability());
                    return modern(r, ctx);
                }
                if (!legacy || !tasksAgreed_)
                    return Error{kMethodNotFound,
                                 std::string("method not found: \"") + name +
                                     (legacy ? "\" (tasks need protocol 2025-11-25)"
                                             : "\" (the tasks extension needs protocol "
                                               "2026-07-28)"),
                                 nullptr};
                return legacy(r, ctx);
            };
            methods_.emplace(name, Method{true, Execution::Worker, std::move(serve)});
        };
        add(
            "tasks/get",
            [this](const Request& r, tools::RequestContext&) { return tasks_.get(r.params); },
            [this](const Request& r, tools::RequestContext&) {
                return taskExtension_.get(r.params);
            });
        add(
            "tasks/result",
            [this](const Request& r, tools::RequestContext& ctx) {
                return tasks_.result(r.params, ctx);
            },
            nullptr);
        add(
            "tasks/list",
            [this](const Request& r, tools::RequestContext&) { return tasks_.list(r.params); },
            nullptr);
        add(
            "tasks/cancel",
            [this](const Request& r, tools::RequestContext&) { return tasks_.cancel(r.params); },
            [this](const Request& r, tools::RequestContext&) {
                return taskExtension_.cancel(r.params);
            });
        add("tasks/update", nullptr, [this](const Request& r, tools::RequestContext&) {
            return taskExtension_.update(r.params);
        });
    }

    // A subscriptions/listen stream: what it asked to be told.
    struct Listener {
        json id;  // the listen request's id: the subscription's id
        std::set<std::string, std::less<>> tasks;
        std::set<std::string, std::less<>> uris;
    };

    std::vector<json> listeners_for(const std::function<bool(const Listener&)>& wants) {
        std::lock_guard<std::mutex> lock(listenersMutex_);
        std::vector<json> ids;
        for (const auto& [key, l] : listeners_)
            if (wants(l)) ids.push_back(l.id);
        return ids;
    }

    // The 2026-07-28 era's subscriptions/listen: acknowledged at once with what the server
    // agreed to (notifications/tasks/status of the listed tasks of this connection, with the
    // tasks extension declared; notifications/resources/updated of the listed job URIs); the
    // stream lasts until the client cancels the request or the input ends, then is answered.
    Outcome listen(const Request& request, tools::RequestContext& ctx) {
        if (gate_.era() != Era::Modern)
            return Error{kMethodNotFound,
                         "method not found: \"subscriptions/listen\" is in protocol 2026-07-28 "
                         "(the 2025 era subscribes with resources/subscribe)",
                         nullptr};
        const json& params = request.params;
        auto filter = params.is_object() ? params.find("notifications") : params.end();
        if (!params.is_object() || filter == params.end() || !filter->is_object())
            return invalid_params("subscriptions/listen params.notifications must be an object");
        constexpr std::size_t kMaxListed = 1000, kMaxNameBytes = 1024;
        auto names = [&](const char* key,
                         std::set<std::string, std::less<>>& out) -> std::optional<Error> {
            auto it = filter->find(key);
            if (it == filter->end() || it->is_null()) return std::nullopt;
            if (!it->is_array() || it->size() > kMaxListed)
                return invalid_params(std::string("subscriptions/listen notifications.") + key +
                                      " must be a list of at most 1000 strings");
            for (const auto& v : *it) {
                if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxNameBytes)
                    return invalid_params(std::string("subscriptions/listen notifications.") + key +
                                          " must hold strings of at most 1024 bytes");
                out.insert(v.get<std::string>());
            }
            return std::nullopt;
        };
        Listener listener{request_id_json(request.id), {}, {}};
        std::set<std::string, std::less<>> tasks;
        if (auto bad = names("tasksStatus", tasks)) return *bad;
        if (auto bad = names("resourceSubscriptions", listener.uris)) return *bad;
        if (!resources_.enabled()) listener.uris.clear();
        // Only this connection's tasks, and only for a client with the extension.
        if (taskExtension_.enabled() && era_meta_of(params).declares_extension(kTasksExtension)) {
            for (const auto& id : tasks)
                if (provider_.get(id)) listener.tasks.insert(id);
        }
        json agreed = json::object();
        if (!listener.tasks.empty()) agreed["tasksStatus"] = listener.tasks;
        if (!listener.uris.empty()) agreed["resourceSubscriptions"] = listener.uris;
        std::string key = listener.id.dump();
        {
            // Acknowledged before anything is told on it, and told from the moment the client
            // has the acknowledgement: both under the lock the status watch takes.
            std::lock_guard<std::mutex> lock(listenersMutex_);
            writer_.send(make_notification(
                "notifications/subscriptions/acknowledged",
                {{"notifications", agreed}, {"_meta", {{kSubscriptionIdKey, listener.id}}}}));
            listeners_[key] = std::move(listener);
        }
        while (!ctx.cancel->wait_for(std::chrono::hours(1))) {
        }
        json id;
        {
            std::lock_guard<std::mutex> lock(listenersMutex_);
            id = listeners_[key].id;
            listeners_.erase(key);
        }
        return json{{"_meta", {{kSubscriptionIdKey, id}}}};
    }

    static json request_id_json(const RequestId& id) {
        if (auto* n = std::get_if<std::int64_t>(&id)) return *n;
        return std::get<std::string>(id);
    }

    // A request the reading worker takes on itself.
    struct Own {
        RequestId id;
        std::function<InFlightRequests::Reply()> work;
    };

    // The reading role: lines until a request this worker works on itself (the role passes
    // to another worker first), or the end of input.
    void read_input() {
        const auto limit =
            static_cast<std::size_t>(std::max<std::int64_t>(1, options_.maxMessageBytes));
        // A closed output is only noticed when the next line arrives; in practice the client
        // closes both ends together, and the end of input follows.
        while (!writer_.broken()) {
            LineReader::Item item = reader_->next();
            if (item.kind == LineReader::Kind::End) break;
            if (item.kind == LineReader::Kind::TooLong) {
                spdlog::warn("refused a message of {} bytes (limit {})", item.size, limit);
                writer_.send(make_error(std::nullopt,
                                        Error{kInvalidRequest,
                                              "message too large: " + std::to_string(item.size) +
                                                  " bytes, limit " + std::to_string(limit),
                                              nullptr}));
                continue;
            }
            if (is_blank(item.text)) continue;
            std::optional<Own> own = on_message(parse_message(item.text));
            if (own) {
                inFlight_.pass_reader_role();
                inFlight_.run_here(own->id, std::move(own->work));
                return;
            }
        }
        inFlight_.input_ended();
    }

    std::optional<Own> on_message(Message message) {
        std::optional<Own> own;
        std::visit(
            [this, &own](auto&& m) {
                using T = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<T, Request>) {
                    own = on_request(std::move(m));
                } else if constexpr (std::is_same_v<T, Notification>) {
                    on_notification(m);
                } else if constexpr (std::is_same_v<T, Response>) {
                    spdlog::debug("ignored a response to id {}: this server sends no requests",
                                  to_string(m.id));
                } else if constexpr (std::is_same_v<T, Invalid>) {
                    spdlog::warn("refused a message: {}", m.error.message);
                    writer_.send(make_error(m.id, m.error));
                } else {
                    spdlog::warn("dropped a message without answering: {}", m.why);
                }
            },
            std::move(message));
        return own;
    }

    // Answers inline methods and refusals itself; a worker method is either handed to a
    // worker (more input is waiting: the reader reads on) or returned for the reader to work
    // on after passing the role on.
    std::optional<Own> on_request(Request request) {
        auto started = Clock::now();
        auto it = methods_.find(request.method);
        if (it == methods_.end()) {
            reply_now(request, started,
                      Error{kMethodNotFound, "method not found: " + quoted_name(request.method),
                            nullptr});
            return std::nullopt;
        }
        const Method& method = it->second;
        // -32600 rather than the -32002 some protocols use for this: MCP already gives
        // -32002 to "resource not found".
        EraMeta meta = era_meta_of(request.params);
        if (auto refused = gate_.admit(request.method, meta, method.needsInitialize)) {
            reply_now(request, started, *refused);
            return std::nullopt;
        }
        const bool modern = meta.modern();
        if (modern && clientName_.empty() && !meta.clientName.empty()) {
            clientName_ = meta.clientName;
            spdlog::info("{} speaks protocol {} (per-request _meta)", clientName_,
                         *meta.protocolVersion);
        }

        auto ctx = std::make_shared<tools::RequestContext>();
        ctx->progressToken = progress_token_of(request.params);
        ctx->clientName = modern && !meta.clientName.empty() ? meta.clientName : clientName_;
        ctx->notify = [this](const std::string& name, const json& params) {
            writer_.send(make_notification(name, params));
        };

        // A 2026-07-28 request gets that era's result (resultType, cache hints, serverInfo).
        auto handle = [this, &method, modern](const Request& r, tools::RequestContext& c) {
            Outcome outcome = method.handle(r, c);
            if (!modern) return outcome;
            if (auto* error = std::get_if<Error>(&outcome)) return Outcome{modern_error(*error)};
            return Outcome{
                modern_result(std::move(std::get<json>(outcome)), r.method, modern_description())};
        };

        if (method.execution == Execution::Inline) {
            reply_now(request, started, handle(request, *ctx));
            return std::nullopt;
        }

        RequestId id = request.id;
        std::string name = request.method;
        ctx->replyEarly = true;  // afterReply runs once the response is written
        auto work = [handle, request = std::move(request), ctx, started]() {
            json response = to_response(request.id, handle(request, *ctx));
            log_outcome(request, started, response);
            return InFlightRequests::Reply{std::move(response), std::move(ctx->afterReply)};
        };
        // More of the client's lines are already read: a worker takes this one and the reader
        // goes on. Otherwise this thread works on it once another has taken the role.
        bool readOn = reader_->buffered();
        auto admitted = readOn ? inFlight_.start(id, ctx->cancel, std::move(work))
                               : inFlight_.admit(id, ctx->cancel);
        switch (admitted) {
            case InFlightRequests::Start::Started:
                if (readOn) return std::nullopt;
                return Own{id, std::move(work)};
            case InFlightRequests::Start::Busy:
                spdlog::warn("{} id={} refused: {} requests in flight", name, to_string(id),
                             options_.maxConcurrentRequests);
                writer_.send(make_error(
                    id, Error{kServerBusy,
                              "server busy: " + std::to_string(options_.maxConcurrentRequests) +
                                  " requests in flight, retry later",
                              nullptr}));
                return std::nullopt;
            case InFlightRequests::Start::DuplicateId:
                writer_.send(
                    make_error(id, Error{kInvalidRequest,
                                         "a request with this id is already in flight", nullptr}));
                return std::nullopt;
            case InFlightRequests::Start::NoThread:
                writer_.send(make_error(
                    id, Error{kInternalError, "cannot start a worker for this request", nullptr}));
                return std::nullopt;
        }
        return std::nullopt;
    }

    void reply_now(const Request& request, Clock::time_point started, Outcome outcome) {
        json response = to_response(request.id, std::move(outcome));
        log_outcome(request, started, response);
        writer_.send(response);
    }

    void on_notification(const Notification& notification) {
        if (notification.method == "notifications/cancelled") {
            on_cancelled(notification.params);
        } else if (notification.method == "notifications/initialized") {
            spdlog::debug("the client reports it is initialized");
        } else {
            spdlog::debug("ignored notification {}", notification.method);
        }
    }

    void on_cancelled(const json& params) {
        if (!params.is_object() || !params.contains("requestId")) {
            spdlog::debug("ignored notifications/cancelled without a requestId");
            return;
        }
        auto id = parse_id(params.at("requestId"));
        if (!id) {
            spdlog::debug("ignored notifications/cancelled with an unusable requestId");
            return;
        }
        std::string reason;
        if (auto r = params.find("reason"); r != params.end() && r->is_string()) {
            reason = r->get<std::string>();
        }
        if (inFlight_.cancel_by_client(*id)) {
            spdlog::debug("request {} cancelled by the client{}{}", to_string(*id),
                          reason.empty() ? "" : ": ", reason);
        } else {
            spdlog::debug("cancellation of request {} ignored: not in flight", to_string(*id));
        }
    }

    Outcome initialize(const Request& request) {
        if (initialized_) return Error{kInvalidRequest, "already initialized", nullptr};
        const json& params = request.params;
        if (!params.is_null() && !params.is_object()) {
            return invalid_params("initialize params must be an object");
        }
        const auto& versions = supported_protocol_versions();
        std::string requested;
        if (params.is_object()) {
            if (auto v = params.find("protocolVersion"); v != params.end() && v->is_string()) {
                requested = v->get<std::string>();
            }
        }
        // MCP: answer the client's version when we speak it, else our newest and let the
        // client decide whether it can live with that.
        bool known = std::find(versions.begin(), versions.end(), requested) != versions.end();
        std::string version = known ? requested : versions.front();

        std::string client = "unknown client";
        if (params.is_object()) {
            if (auto info = params.find("clientInfo"); info != params.end() && info->is_object()) {
                auto text = [&](const char* key) {
                    auto it = info->find(key);
                    return it != info->end() && it->is_string() ? it->get<std::string>() : "";
                };
                std::string name = text("name"), version = text("version");
                clientName_ =
                    name.substr(0, 100) + (version.empty() ? "" : " " + version.substr(0, 40));
                if (!name.empty()) client = clientName_;
            }
        }
        spdlog::info("initialize from {}: protocol {} requested, {} agreed", client,
                     requested.empty() ? "(none)" : requested, version);

        tasksAgreed_ = tasks_.enabled() && TaskFace::serves(version);
        json result{
            {"protocolVersion", version},
            {"capabilities", capabilities()},
            {"serverInfo",
             {{"name", options_.name},
              {"version", options_.version.empty() ? CLAUDE_JOBS_VERSION : options_.version}}},
        };
        if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
        protocolVersion_ = version;
        initialized_ = true;
        gate_.initialized();
        return result;
    }

    json capabilities() const {
        json caps = {{"tools", {{"listChanged", false}}}};
        if (resources_.enabled()) caps["resources"] = resources_.capability();
        if (tasksAgreed_) caps["tasks"] = tasks_.capability();
        if (!options_.experimental.is_null()) caps["experimental"] = options_.experimental;
        return caps;
    }

    // The server as server/discover and every 2026-07-28 result describe it: the tasks
    // extension instead of the 2025 tasks capability (resources are subscribed to with
    // subscriptions/listen in this era).
    ServerDescription modern_description() const {
        json caps = {{"tools", {{"listChanged", false}}}};
        if (resources_.enabled()) caps["resources"] = resources_.capability();
        if (taskExtension_.enabled()) caps["extensions"] = {{kTasksExtension, json::object()}};
        if (!options_.experimental.is_null()) caps["experimental"] = options_.experimental;
        return ServerDescription{options_.name,
                                 options_.version.empty() ? CLAUDE_JOBS_VERSION : options_.version,
                                 options_.instructions, std::move(caps)};
    }

    Outcome list_tools(const Request& request) {
        // There are few tools, so one page; a cursor, if sent, is ignored.
        if (!request.params.is_null() && !request.params.is_object()) {
            return invalid_params("tools/list params must be an object");
        }
        json list = json::array();
        for (const auto& tool : tools_) {
            json entry{{"name", tool.name},
                       {"title", tool.title},
                       {"description", tool.description},
                       {"inputSchema", tool.inputSchema}};
            if (!tool.outputSchema.is_null()) entry["outputSchema"] = tool.outputSchema;
            if (!tool.annotations.is_null()) entry["annotations"] = tool.annotations;
            if (tasksAgreed_ && tasks_.task_tool(tool.name))
                entry["execution"] = tasks_.execution(tool.name);
            list.push_back(std::move(entry));
        }
        return json{{"tools", std::move(list)}};
    }

    Outcome call_tool(const Request& request, tools::RequestContext& ctx) {
        const json& params = request.params;
        if (!params.is_object()) return invalid_params("tools/call params must be an object");
        auto nameIt = params.find("name");
        if (nameIt == params.end() || !nameIt->is_string()) {
            return invalid_params("tools/call params.name must be a string");
        }
        const auto& name = nameIt->get_ref<const std::string&>();
        auto toolIt = toolsByName_.find(name);
        if (toolIt == toolsByName_.end())
            return invalid_params("unknown tool: " + quoted_name(name));
        // The tool reads the arguments where they are: they can be most of an 8 MB line.
        static const json kNoArguments = json::object();
        const json* args = &kNoArguments;
        if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
            if (!a->is_object())
                return invalid_params("tools/call params.arguments must be an object");
            args = &*a;
        }

        // A client of the 2026-07-28 era that declares the tasks extension gets a task tool's
        // job as a task (resultType "task") at once, unless the call asks to wait for its end.
        if (gate_.era() == Era::Modern && taskExtension_.enabled() &&
            taskExtension_.runs_as_task(name, *args) &&
            era_meta_of(params).declares_extension(kTasksExtension)) {
            try {
                return taskExtension_.create(name, *args, ctx);
            } catch (const std::exception& e) {
                spdlog::error("{} as a task threw: {}", name, e.what());
                return Error{kInternalError, e.what(), nullptr};
            }
        }
        // A task-augmented call (params.task) once tasks are agreed; before, task is ignored.
        if (auto task = params.find("task"); task != params.end() && tasksAgreed_) {
            try {
                return tasks_.create(name, *args, *task, ctx);
            } catch (const std::exception& e) {
                spdlog::error("task-augmented {} threw: {}", name, e.what());
                return Error{kInternalError, e.what(), nullptr};
            }
        }

        const tools::Tool& tool = *toolIt->second;
        tools::ToolResult result;
        try {
            result = tool.call(*args, ctx);
        } catch (const std::exception& e) {
            spdlog::error("tool {} threw: {}", name, e.what());
            result = internal_error(e.what());
        } catch (...) {
            spdlog::error("tool {} threw a non-exception", name);
            result = internal_error("unknown exception");
        }

        // A 2026-07-28 client reads structuredContent too; it agreed on no version by initialize.
        return call_tool_result(
            std::move(result), name,
            gate_.era() == Era::Modern || reads_structured_content(protocolVersion_));
    }

    static tools::ToolResult internal_error(const std::string& message) {
        return tools::ToolResult{
            json{{"error", {{"code", "internal"}, {"message", message}}}},
            true,
        };
    }

    const std::vector<tools::Tool>& tools_;
    const ServerOptions& options_;
    ResourceFace resources_;
    TaskFace tasks_;
    TaskExtension taskExtension_;
    const tools::Tasks& provider_;  // what both task faces serve
    EraGate gate_;                  // the connection's era
    std::mutex listenersMutex_;
    std::map<std::string, Listener> listeners_;  // open listen streams, by their id's JSON
    std::atomic<bool> tasksAgreed_{false};       // set by initialize: tasks are served
    std::unordered_map<std::string, const tools::Tool*> toolsByName_;
    std::map<std::string, Method, std::less<>> methods_;
    // Written only on the reader thread (initialize runs inline); read by notify_client.
    std::atomic<bool> initialized_{false};
    std::string protocolVersion_;  // what initialize agreed; later methods may depend on it
    std::string clientName_;       // clientInfo from initialize, for the jobs it starts
    MessageWriter writer_;
    LineReader* reader_ = nullptr;  // during run(): used by the worker holding the reading role
    // Declared last: destroyed first, so workers are joined while the rest still exists.
    InFlightRequests inFlight_;
};

}  // namespace

McpServer::McpServer(std::vector<tools::Tool> tools, ServerOptions options,
                     tools::Resources resources, tools::Tasks tasks)
    : tools_(std::move(tools)),
      options_(std::move(options)),
      resources_(std::move(resources)),
      tasks_(std::move(tasks)) {}

int McpServer::serve(int inFd, int outFd) {
    // A client that goes away must not kill the server with SIGPIPE mid-write; the write
    // then fails with EPIPE and the session ends quietly instead.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);

    Session session(tools_, resources_, tasks_, options_, outFd);
    {
        std::lock_guard<std::mutex> lock(senderMutex_);
        sender_ = [&session](const std::string& method, const json& params) {
            return session.notify_client(method, params);
        };
        updated_ = [&session](const std::string& uri) { session.resource_updated(uri); };
    }
    int rc = session.run(inFd);
    std::lock_guard<std::mutex> lock(senderMutex_);
    sender_ = nullptr;
    updated_ = nullptr;
    return rc;
}

}  // namespace cj::protocol
