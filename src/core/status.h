// Errors as values: a Status carries a code from a closed set and a human message (and
// optionally the JSON path of the offending field), Result<T> a value or a Status.
// Exceptions stay at boundaries; everything between returns these.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nexus {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,       // bad input from the caller (HTTP 400)
  kUnauthenticated,       // no or bad credentials (401)
  kPermissionDenied,      // authenticated but not allowed (403)
  kNotFound,              // unknown, or not visible to the caller (404)
  kConflict,              // version mismatch, already running (409)
  kTooLarge,              // payload over the limit (413)
  kUnsupportedMediaType,  // a request body that is not JSON (415)
  kTooManyRequests,       // throttled; retry later (429, with Retry-After when known)
  kRemoteRejected,        // TestRail answered but refused the request (422)
  kUnavailable,           // remote unreachable / retry later (502)
  kTimeout,               // remote did not answer in time (504)
  kInternal,              // a bug or an unexpected local failure (500)
};

std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {}, std::string reason = {})
      : code_(code),
        message_(std::move(message)),
        field_(std::move(field)),
        reason_(std::move(reason)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // JSON path of the offending field ("steps[2].goal"), empty when not about one field.
  const std::string& field() const { return field_; }
  // Machine-readable snake_case reason ("version_mismatch", "auth_failed"); the API uses it
  // as the error code when set, otherwise a default derived from code().
  const std::string& reason() const { return reason_; }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
  std::string reason_;
};

inline Status InvalidArgument(std::string msg, std::string field = {}, std::string reason = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(field), std::move(reason));
}
inline Status NotFound(std::string msg, std::string field = {}) {
  return Status(StatusCode::kNotFound, std::move(msg), std::move(field));
}
inline Status PermissionDenied(std::string msg) {
  return Status(StatusCode::kPermissionDenied, std::move(msg));
}
inline Status Unauthenticated(std::string msg) {
  return Status(StatusCode::kUnauthenticated, std::move(msg));
}
inline Status Conflict(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kConflict, std::move(msg), {}, std::move(reason));
}
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

// Result<T>: either a T or a non-ok Status. Accessing value() of an error is a programmer
// error (asserted).
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(runtime/explicit)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace nexus

// Propagation helpers.
#define NEXUS_RETURN_IF_ERROR(expr) \
  do {                              \
    ::nexus::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)

#define NEXUS_CONCAT_INNER(a, b) a##b
#define NEXUS_CONCAT(a, b) NEXUS_CONCAT_INNER(a, b)
#define NEXUS_ASSIGN_OR_RETURN(lhs, expr) \
  NEXUS_ASSIGN_OR_RETURN_IMPL(NEXUS_CONCAT(_res_, __LINE__), lhs, expr)
#define NEXUS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
