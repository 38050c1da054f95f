// listen_keys.h (private): legacy user-data listenKeys (binance-spot.md §6 "Legacy listenKey").
//
// One key per account: POST returns the account's active key (extending it) or a new one;
// a key lives 60 minutes after its creation or last keepalive (PUT); DELETE closes it. Keys are
// 60 random alphanumeric characters (std::random_device), thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace keel::simserver {

class ListenKeys {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ListenKeys(Clock::duration validity = std::chrono::minutes(60));

  std::string create(size_t account);
  // false: no such live key of this account.
  bool keepalive(const std::string& key, size_t account);
  bool close(const std::string& key, size_t account);
  // The account of a live key.
  std::optional<size_t> lookup(const std::string& key);

 private:
  struct Entry {
    size_t account;
    Clock::time_point expires;
  };
  void expire(Clock::time_point now);  // REQUIRES mu_
  Clock::duration validity_;
  std::mutex mu_;
  std::map<std::string, Entry> keys_;
  std::mt19937_64 rng_;
};

}  // namespace keel::simserver
