// One MCP session over a pair of descriptors: the initialize gate and version negotiation,
// the method table, tools/list and tools/call, cancellation, and the stop at end of input.
#include "core/protocol/mcp_server.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <spdlog/spdlog.h>

#include "core/protocol/in_flight.h"
#include "core/protocol/jsonrpc.h"
#include "core/protocol/line_reader.h"
#include "core/protocol/message_writer.h"
#include "core/protocol/resource_face.h"
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
    // Refused until initialize has been answered. MCP allows only ping before it.
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
        methods_.emplace("tools/list",
                         Method{true, Execution::Inline, [this](const Request& r, tools::RequestContext&) {
                                    return list_tools(r);
                                }});
        methods_.emplace("tools/call", Method{true, Execution::Worker,
                                              [this](const Request& r, tools::RequestContext& ctx) {
                                                  return call_tool(r, ctx);
                                              }});
        if (resources_.enabled()) add_resource_methods();
        if (tasks_.enabled()) add_task_methods();
        // The stateless server/discover (Inline, no initialize needed) is added here when it
        // exists.
    }

    // Tells the client that a URI it subscribed to changed; nothing when it did not subscribe.
    void resource_updated(const std::string& uri) {
        if (resources_.subscribed(uri)) notify_client("notifications/resources/updated", {{"uri", uri}});
    }

    // A notification of the server's own: only to an initialized client.
    bool notify_client(const std::string& method, const json& params) {
        if (!initialized_ || writer_.broken()) return false;
        writer_.send(make_notification(method, params));
        return true;
    }

    int run(int inFd) {
        const auto limit =
            static_cast<std::size_t>(std::max<std::int64_t>(1, options_.maxMessageBytes));
        LineReader reader(inFd, limit);
        reader_ = &reader;
        // Status changes of this connection's tasks, once a version with tasks is agreed.
        auto stopWatch = tasks_.watch([this](const json& task) {
            if (tasksAgreed_) notify_client("notifications/tasks/status", task);
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
            methods_.emplace(name, Method{true, execution,
                                          [handler](const Request& r, tools::RequestContext&) {
                                              return handler(r.params);
                                          }});
        };
        // Reads touch the job store: on a worker. The template list and unsubscribe do not.
        add("resources/list", Execution::Worker, [this](const json& p) { return resources_.list(p); });
        add("resources/templates/list", Execution::Inline,
            [this](const json& p) { return resources_.templates(p); });
        add("resources/read", Execution::Worker, [this](const json& p) { return resources_.read(p); });
        add("resources/subscribe", Execution::Worker,
            [this](const json& p) { return resources_.subscribe(p); });
        add("resources/unsubscribe", Execution::Inline,
            [this](const json& p) { return resources_.unsubscribe(p); });
    }

    // The 2025-11-25 tasks utility: only for a client that agreed on that version (a later
    // era's tasks are another face).
    void add_task_methods() {
        auto add = [this](const char* name, auto handler) {
            auto serve = [this, name, handler](const Request& r,
                                               tools::RequestContext& ctx) -> Outcome {
                if (!tasksAgreed_)
                    return Error{kMethodNotFound,
                                 std::string("method not found: \"") + name +
                                     "\" (tasks need protocol 2025-11-25)",
                                 nullptr};
                return handler(r.params, ctx);
            };
            methods_.emplace(name, Method{true, Execution::Worker, std::move(serve)});
        };
        add("tasks/get", [this](const json& p, tools::RequestContext&) { return tasks_.get(p); });
        add("tasks/result",
            [this](const json& p, tools::RequestContext& ctx) { return tasks_.result(p, ctx); });
        add("tasks/list", [this](const json& p, tools::RequestContext&) { return tasks_.list(p); });
        add("tasks/cancel",
            [this](const json& p, tools::RequestContext&) { return tasks_.cancel(p); });
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
        if (method.needsInitialize && !initialized_) {
            // -32600 rather than the -32002 some protocols use for this: MCP already gives
            // -32002 to "resource not found".
            reply_now(
                request, started,
                Error{kInvalidRequest, "server not initialized: send initialize first", nullptr});
            return std::nullopt;
        }

        auto ctx = std::make_shared<tools::RequestContext>();
        ctx->progressToken = progress_token_of(request.params);
        ctx->clientName = clientName_;
        ctx->notify = [this](const std::string& name, const json& params) {
            writer_.send(make_notification(name, params));
        };

        if (method.execution == Execution::Inline) {
            reply_now(request, started, method.handle(request, *ctx));
            return std::nullopt;
        }

        RequestId id = request.id;
        std::string name = request.method;
        ctx->replyEarly = true;  // afterReply runs once the response is written
        auto work = [&method, request = std::move(request), ctx, started]() {
            json response = to_response(request.id, method.handle(request, *ctx));
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
                clientName_ = name.substr(0, 100) + (version.empty() ? "" : " " + version.substr(0, 40));
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
        return result;
    }

    json capabilities() const {
        json caps = {{"tools", {{"listChanged", false}}}};
        if (resources_.enabled()) caps["resources"] = resources_.capability();
        if (tasksAgreed_) caps["tasks"] = tasks_.capability();
        if (!options_.experimental.is_null()) caps["experimental"] = options_.experimental;
        return caps;
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
        if (toolIt == toolsByName_.end()) return invalid_params("unknown tool: " + quoted_name(name));
        // The tool reads the arguments where they are: they can be most of an 8 MB line.
        static const json kNoArguments = json::object();
        const json* args = &kNoArguments;
        if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
            if (!a->is_object())
                return invalid_params("tools/call params.arguments must be an object");
            args = &*a;
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

        return call_tool_result(std::move(result), name,
                                reads_structured_content(protocolVersion_));
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
    std::atomic<bool> tasksAgreed_{false};  // set by initialize: tasks are served
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
