// Legacy listenKeys (listen_keys.h).
#include "listen_keys.h"

namespace keel::simserver {

ListenKeys::ListenKeys(Clock::duration validity) : validity_(validity), rng_(std::random_device{}()) {}

void ListenKeys::expire(Clock::time_point now) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    it = it->second.expires <= now ? keys_.erase(it) : std::next(it);
  }
}

std::string ListenKeys::create(size_t account) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  expire(now);
  for (auto& [key, e] : keys_) {
    if (e.account == account) {
      e.expires = now + validity_;
      return key;
    }
  }
  std::string key(60, 'A');
  for (char& c : key) c = kAlphabet[rng_() % (sizeof kAlphabet - 1)];
  keys_[key] = Entry{account, now + validity_};
  return key;
}

bool ListenKeys::keepalive(const std::string& key, size_t account) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  expire(now);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.account != account) return false;
  it->second.expires = now + validity_;
  return true;
}

bool ListenKeys::close(const std::string& key, size_t account) {
  std::lock_guard<std::mutex> lock(mu_);
  expire(Clock::now());
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.account != account) return false;
  keys_.erase(it);
  return true;
}

std::optional<size_t> ListenKeys::lookup(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  expire(Clock::now());
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  return it->second.account;
}

}  // namespace keel::simserver
