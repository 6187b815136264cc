// Every IJobBackend method is noexcept and answers with a Result. guarded() runs a method's
// body and turns what it may throw (in practice only an allocation failure) into an Internal
// error naming the backend, rather than a terminate() of the server. Header only.
#pragma once

#include <exception>
#include <string>

#include "claude_jobs/result.h"

namespace claude_jobs {

// `who` starts the message: "<who>: <what()>", or "<who>: unexpected failure".
template <class Body>
auto guarded(const char* who, Body&& body) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const std::exception& e) {
        try {
            return make_error(ErrorCode::Internal, std::string(who) + ": " + e.what());
        } catch (...) {
        }
    } catch (...) {
    }
    // Without memory even for the message: a Result without one.
    try {
        return make_error(ErrorCode::Internal, std::string(who) + ": unexpected failure");
    } catch (...) {
        return Error{};
    }
}

}  // namespace claude_jobs
