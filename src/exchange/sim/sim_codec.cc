// Binary codec of the sim's records (format in sim_codec.h). Hand-written rather than cereal so
// the byte layout is stated in one place and a torn or foreign value is detected, not guessed.
#include "sim/sim_codec.h"

#include <algorithm>
#include <cstring>

namespace keel::exchange::sim {
namespace {

// Appends to a caller's string (cleared first), so a reused buffer keeps its capacity.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {
    out_.clear();
    u8(kRecordVersion);
  }
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void i64(int64_t v) {
    auto u = static_cast<uint64_t>(v);
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((u >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void str(const std::string& s) {
    auto n = static_cast<uint32_t>(s.size());
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    out_.append(b, 4);
    out_ += s;
  }

 private:
  std::string& out_;
};

// Reads fields in order; any shortfall sets !ok() and yields zeros from then on.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {
    if (u8() != kRecordVersion) ok_ = false;
  }
  bool ok() const { return ok_; }
  bool finished() const { return ok_ && in_.empty(); }
  uint8_t u8() {
    if (!need(1)) return 0;
    auto v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  int64_t i64() {
    if (!need(8)) return 0;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return static_cast<int64_t>(u);
  }
  std::string str() {
    if (!need(4)) return {};
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    if (!need(n)) return {};
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  // Reads an enum stored as one byte, which must be <= max.
  template <class E>
  E enum8(uint8_t max) {
    uint8_t v = u8();
    if (v > max) ok_ = false;
    return static_cast<E>(v <= max ? v : 0);
  }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  bool ok_ = true;
};

Status finish(const Reader& r, const char* what) {
  if (r.finished()) return Status::Ok();
  return Status::Corruption(std::string("sim state: malformed ") + what + " record");
}

std::string id_key(char prefix, int64_t id) {
  std::string k(1, prefix);
  auto u = static_cast<uint64_t>(id);
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  return k;
}

}  // namespace

std::string order_key(int64_t order_seq) { return id_key(kOrderPrefix, order_seq); }
std::string trade_key(int64_t trade_seq) { return id_key(kTradePrefix, trade_seq); }
std::string deposit_key(int64_t deposit_id) { return id_key(kDepositPrefix, deposit_id); }

int64_t key_id(std::string_view key) {
  if (key.size() != 9) return -1;
  uint64_t u = 0;
  for (size_t i = 1; i < 9; ++i) u = (u << 8) | static_cast<uint8_t>(key[i]);
  return static_cast<int64_t>(u);
}

void encode_meta_into(const SimState& s, std::string& out) {
  std::string symbols;
  for (const std::string& sym : s.symbols) {
    if (!symbols.empty()) symbols.push_back(',');
    symbols += sym;
  }
  Writer w(out);
  w.str(symbols);
  w.str(s.account);
  w.i64(s.next_order_seq);
  w.i64(s.next_trade_seq);
  w.i64(static_cast<int64_t>(s.position));
  w.i64(s.now_ns);
  w.u8(s.recording_ended ? 1 : 0);
}

std::string encode_meta(const SimState& s) {
  std::string out;
  encode_meta_into(s, out);
  return out;
}

Status decode_meta(std::string_view value, SimState& s) {
  Reader r(value);
  const std::string symbols = r.str();
  s.symbols.clear();
  for (size_t from = 0; from <= symbols.size();) {
    const size_t comma = std::min(symbols.find(',', from), symbols.size());
    s.symbols.push_back(symbols.substr(from, comma - from));
    from = comma + 1;
  }
  s.account = r.str();
  s.next_order_seq = r.i64();
  s.next_trade_seq = r.i64();
  s.position = static_cast<uint64_t>(r.i64());
  s.now_ns = r.i64();
  s.recording_ended = r.enum8<uint8_t>(1) != 0;
  return finish(r, "meta");
}

void encode_balances_into(const Balances& b, std::string& out) {
  Writer w(out);
  w.i64(static_cast<int64_t>(b.size()));
  for (const auto& [asset, bal] : b) {
    w.str(asset);
    w.i64(bal.free_e8);
    w.i64(bal.locked_e8);
  }
}

std::string encode_balances(const Balances& b) {
  std::string out;
  encode_balances_into(b, out);
  return out;
}

Status decode_balances(std::string_view value, Balances& b) {
  Reader r(value);
  b.clear();
  const int64_t n = r.i64();
  for (int64_t i = 0; r.ok() && i < n; ++i) {
    std::string asset = r.str();
    AssetBalance bal;
    bal.free_e8 = r.i64();
    bal.locked_e8 = r.i64();
    b[asset] = bal;
  }
  return finish(r, "balances");
}

void encode_order_into(const SimOrder& o, std::string& out) {
  const OrderReport& rep = o.report;
  Writer w(out);
  w.str(rep.symbol);
  w.i64(rep.order_id);
  w.str(rep.client_order_id);
  w.u8(static_cast<uint8_t>(rep.side));
  w.i64(rep.price_ticks);
  w.i64(rep.qty_lots);
  w.i64(rep.executed_lots);
  w.u8(static_cast<uint8_t>(rep.status));
  w.i64(rep.ts_update_ns);
  w.i64(o.queue_ahead_e8);
  w.i64(o.locked_e8);
}

std::string encode_order(const SimOrder& o) {
  std::string out;
  encode_order_into(o, out);
  return out;
}

Status decode_order(std::string_view value, SimOrder& o) {
  OrderReport& rep = o.report;
  Reader r(value);
  rep.symbol = r.str();
  rep.order_id = r.i64();
  rep.client_order_id = r.str();
  rep.side = r.enum8<Side>(1);
  rep.price_ticks = r.i64();
  rep.qty_lots = r.i64();
  rep.executed_lots = r.i64();
  rep.status = r.enum8<OrderStatus>(static_cast<uint8_t>(OrderStatus::kExpired));
  rep.ts_update_ns = r.i64();
  o.queue_ahead_e8 = r.i64();
  o.locked_e8 = r.i64();
  return finish(r, "order");
}

void encode_trade_into(const TradeReport& t, std::string& out) {
  Writer w(out);
  w.str(t.symbol);
  w.i64(t.trade_id);
  w.i64(t.order_id);
  w.str(t.client_order_id);
  w.u8(static_cast<uint8_t>(t.side));
  w.i64(t.price_ticks);
  w.i64(t.qty_lots);
  w.i64(t.commission_e8);
  w.str(t.commission_asset);
  w.u8(t.is_maker ? 1 : 0);
  w.i64(t.ts_exchange_ns);
}

std::string encode_trade(const TradeReport& t) {
  std::string out;
  encode_trade_into(t, out);
  return out;
}

Status decode_trade(std::string_view value, TradeReport& t) {
  Reader r(value);
  t.symbol = r.str();
  t.trade_id = r.i64();
  t.order_id = r.i64();
  t.client_order_id = r.str();
  t.side = r.enum8<Side>(1);
  t.price_ticks = r.i64();
  t.qty_lots = r.i64();
  t.commission_e8 = r.i64();
  t.commission_asset = r.str();
  t.is_maker = r.enum8<uint8_t>(1) != 0;
  t.ts_exchange_ns = r.i64();
  return finish(r, "trade");
}

void encode_deposit_into(int64_t id, const BalanceUpdate& u, std::string& out) {
  Writer w(out);
  w.i64(id);
  w.str(u.asset);
  w.i64(u.delta_e8);
  w.i64(u.event_time_ms);
  w.i64(u.clear_time_ms);
}

Status decode_deposit(std::string_view value, int64_t& id, BalanceUpdate& u) {
  Reader r(value);
  id = r.i64();
  u.asset = r.str();
  u.delta_e8 = r.i64();
  u.event_time_ms = r.i64();
  u.clear_time_ms = r.i64();
  return finish(r, "deposit");
}

}  // namespace keel::exchange::sim
