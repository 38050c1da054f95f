// keel/core/status.h: recoverable errors as values (LevelDB's Status, in C++20).
//
// Contract:
//  - A function that can fail for reasons outside the program (bad input, I/O, a venue reject)
//    returns Status or Result<T>. Programmer errors are KEEL_ASSERT, which aborts.
//  - Status is cheap when ok (no allocation); the message names the field or input at fault.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace keel {

enum class Code : unsigned char {
  kOk = 0,
  kInvalidArgument,  // malformed input: a config field, a decimal string, a JSON message
  kNotFound,         // the thing asked for does not exist (order, file, key)
  kCorruption,       // stored bytes fail their checksum or grammar
  kIOError,          // the OS or RocksDB failed a read, write or sync
  kRejected,         // the venue refused a request (code and message in the text)
  kUnknownOutcome,   // a request may or may not have taken effect (R1)
  kEndOfData,        // a reader reached the end of its input
  kFailStop,         // the journal failed a sync: no new intents, ever (W4)
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Rejected(std::string msg) { return {Code::kRejected, std::move(msg)}; }
  static Status UnknownOutcome(std::string msg) { return {Code::kUnknownOutcome, std::move(msg)}; }
  static Status EndOfData(std::string msg = {}) { return {Code::kEndOfData, std::move(msg)}; }
  static Status FailStop(std::string msg) { return {Code::kFailStop, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>".
  Status With(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

const char* code_name(Code code);

// Result<T>: a T or a non-ok Status. Accessing value() of an error is a bug (asserts).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) {
      std::fprintf(stderr, "keel: Result built from an ok Status\n");
      std::abort();
    }
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() { return checked(); }
  const T& operator*() const { return const_cast<Result*>(this)->checked(); }

 private:
  T& checked() {
    if (!ok()) {
      std::fprintf(stderr, "keel: value() of an error Result: %s\n",
                   std::get<Status>(v_).ToString().c_str());
      std::abort();
    }
    return std::get<T>(v_);
  }
  std::variant<T, Status> v_;
};

[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);

}  // namespace keel

// Always-on assertion for programmer errors (never for input or I/O errors).
#define KEEL_ASSERT(cond)                                                  \
  do {                                                                     \
    if (!(cond)) ::keel::assert_fail(#cond, __FILE__, __LINE__, nullptr); \
  } while (0)
#define KEEL_ASSERT_MSG(cond, msg)                                     \
  do {                                                                 \
    if (!(cond)) ::keel::assert_fail(#cond, __FILE__, __LINE__, msg); \
  } while (0)

#define KEEL_RETURN_IF_ERROR(expr)     \
  do {                                 \
    ::keel::Status keel_s_ = (expr);   \
    if (!keel_s_.ok()) return keel_s_; \
  } while (0)
