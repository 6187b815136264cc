// Errors as data: every IJobBackend method returns a Result, never throws.
// Standard library only, so a backend built by a third party can use it as is.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace claude_jobs {

// The codes a tool result can carry (SPEC §4); a backend picks the closest one.
enum class ErrorCode {
    NotFound,
    InvalidArgument,
    AlreadyExists,
    Unavailable,
    LimitReached,
    PermissionDenied,
    Internal,
};

// The wire name of a code, e.g. "not_found".
inline const char* error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::NotFound: return "not_found";
        case ErrorCode::InvalidArgument: return "invalid_argument";
        case ErrorCode::AlreadyExists: return "already_exists";
        case ErrorCode::Unavailable: return "unavailable";
        case ErrorCode::LimitReached: return "limit_reached";
        case ErrorCode::PermissionDenied: return "permission_denied";
        case ErrorCode::Internal: return "internal";
    }
    return "internal";
}

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;     // one line a person can act on
    bool retryable = false;  // the same call may succeed later
    int sysErrno = 0;        // the errno behind it, 0 when none
};

inline Error make_error(ErrorCode code, std::string message, int sysErrno = 0,
                        bool retryable = false) {
    return Error{code, std::move(message), retryable, sysErrno};
}

// A value or an Error. Result<void> carries only the error side.
template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }
    const Error& error() const& { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace claude_jobs
