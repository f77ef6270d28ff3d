// Error and Result<T>: the one way failures travel through arca.
//
// An Error carries an errno (0 when the failure is not an OS error) and a message that
// reads as a chain of contexts, outermost first:
//   container init: mount "proc" on "/proc": Operation not permitted
// Callers add context with Error::context(); the OS reason (strerror) is appended once,
// when the error is rendered.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace arca {

class Error {
 public:
  Error() = default;
  Error(int err, std::string message) : errno_(err), message_(std::move(message)) {}
  // An error that is not an OS failure (bad input, protocol violations).
  static Error invalid(std::string message) { return Error(0, std::move(message)); }
  // An OS failure: captures the current errno.
  static Error os(std::string message) { return Error(errno, std::move(message)); }

  int code() const { return errno_; }
  const std::string& message() const { return message_; }
  // Prepends "what: " to the message.
  Error& context(const std::string& what) &;
  Error&& context(const std::string& what) &&;
  // The whole line, "message: strerror(code)" when code is set.
  std::string render() const;

 private:
  int errno_ = 0;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

// Quotes a path or name for messages: "/proc".
std::string quote(const std::string& s);

}  // namespace arca

// Propagates a failed Result/Status from the enclosing function.
#define ARCA_TRY(expr)                                                 \
  do {                                                                 \
    auto arca_try_result_ = (expr);                                    \
    if (!arca_try_result_) return std::move(arca_try_result_).error(); \
  } while (0)

// Assigns the value of a Result to `lhs` or propagates its error.
#define ARCA_CONCAT_INNER(a, b) a##b
#define ARCA_CONCAT(a, b) ARCA_CONCAT_INNER(a, b)
#define ARCA_ASSIGN(lhs, expr) ARCA_ASSIGN_IMPL(ARCA_CONCAT(arca_assign_, __LINE__), lhs, expr)
#define ARCA_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                       \
  if (!tmp) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
