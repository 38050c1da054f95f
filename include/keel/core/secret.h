// keel/core/secret.h: a value that must never reach an output (issue 10 item 3: credentials
// "never in logs, journal, exports or error messages").
//
// A Secret holds bytes (an API secret, an API key) and offers one way to them, reveal(), named
// so that every use reads as a deliberate hand-over (to the signer, to a request header).
// Accidents do not compile:
//   - no conversion to std::string or std::string_view (`std::string s = secret;`);
//   - operator<< is deleted, so neither an ostream nor fmt / spdlog (fmt 9 formats only types
//     with a formatter or, through fmt::streamed, an operator<<) can print it;
//   - it is not trivially copyable, so GCC refuses it as a printf vararg.
// The bytes are overwritten when a Secret is destroyed, moved from or assigned over (best effort:
// copies made after reveal() are the caller's).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <utility>

namespace keel {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) : value_(other.value_) {}
  Secret(Secret&& other) noexcept : value_(other.value_) { other.wipe(); }
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = other.value_;
      other.wipe();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  // The value, for the one place that needs it (signing, a request header). Never print it.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

  friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;

 private:
  // Overwrites the whole buffer (grown to its capacity without reallocating, so an old, longer
  // value's tail goes too) through a volatile pointer, so the compiler cannot drop the stores
  // as dead; then empties the string.
  void wipe() noexcept {
    value_.resize(value_.capacity());
    volatile char* p = value_.data();
    for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
    value_.clear();
  }

  std::string value_;
};

}  // namespace keel
