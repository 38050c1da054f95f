// libFuzzer: the Binance connector's decoders of venue bytes (keel/exchange/binance/decode.h:
// every public decode_* and parse_*; rate_limit.h: the usage and Retry-After header parsers).
// Each input goes to every decoder, with each of the instruments of the documented examples
// (so symbol checks pass and the tick/step conversions run), and the decoders' documented
// contract is checked on top of the sanitizers: an error is kInvalidArgument or kNotFound, and a
// decoded value respects what decode.h promises. Seeds: tests/fuzz/corpus/binance/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "keel/exchange/binance/decode.h"
#include "keel/exchange/binance/rate_limit.h"

namespace {

namespace bn = keel::exchange::binance;
using keel::Code;
using keel::Instrument;

[[noreturn]] void broken(const char* what, const keel::Status& s) {
  std::fprintf(stderr, "contract broken: %s: %s\n", what, s.ToString().c_str());
  std::abort();
}
void require(bool ok, const char* what) {
  if (!ok) broken(what, keel::Status::Ok());
}

// decode.h: errors are kInvalidArgument (the JSON path of the field at fault), or kNotFound for
// another market's symbol.
template <class T>
bool checked(const keel::Result<T>& r, const char* what) {
  if (r.ok()) return true;
  const Code c = r.status().code();
  if (c != Code::kInvalidArgument && c != Code::kNotFound) broken(what, r.status());
  return false;
}

const std::vector<Instrument>& instruments() {
  static const std::vector<Instrument> all = [] {
    std::vector<Instrument> v;
    const char* specs[][5] = {{"LTCBTC", "LTC", "BTC", "0.00000100", "0.00100000"},
                              {"BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000"},
                              {"BNBBTC", "BNB", "BTC", "0.00000001", "0.01000000"},
                              {"ETHBTC", "ETH", "BTC", "0.00000001", "0.00010000"}};
    for (const auto& s : specs) {
      auto ins = Instrument::make(s[0], s[1], s[2], s[3], s[4], "0");
      if (!ins.ok()) broken("instrument", ins.status());
      v.push_back(*ins);
    }
    return v;
  }();
  return all;
}

void check_order(const keel::exchange::OrderReport& o, const Instrument& ins, const char* what) {
  require(o.symbol == ins.symbol, what);
  require(o.ts_update_ns >= 0, what);
}

// decode.h: an amount that does not fit int64 at 10^-8 gives exact = false and both amounts 0.
void check_balances(const keel::exchange::Balances& b, const char* what) {
  for (const auto& [asset, bal] : b) {
    require(!asset.empty(), what);
    require(bal.exact || (bal.free_e8 == 0 && bal.locked_e8 == 0), what);
  }
}

void check_balance_update(const keel::exchange::BalanceUpdate& u, const char* what) {
  require(!u.asset.empty() && u.event_time_ms >= 0 && u.clear_time_ms >= 0, what);
}

void with_instrument(std::string_view text, const Instrument& ins) {
  if (auto r = bn::decode_order(text, ins); checked(r, "decode_order")) {
    check_order(*r, ins, "decode_order");
  }
  if (auto r = bn::decode_cancel(text, ins); checked(r, "decode_cancel")) {
    check_order(*r, ins, "decode_cancel");
  }
  if (auto r = bn::decode_amend(text, ins); checked(r, "decode_amend")) {
    check_order(*r, ins, "decode_amend");
  }
  if (auto r = bn::decode_open_orders(text, ins); checked(r, "decode_open_orders")) {
    for (const auto& o : *r) check_order(o, ins, "decode_open_orders");
  }
  if (auto r = bn::decode_cancel_replace(text, ins); checked(r, "decode_cancel_replace")) {
    for (const bn::CancelReplacePart* p : {&r->cancel, &r->place}) {
      if (p->result == bn::PartResult::kSuccess) {
        check_order(p->order, ins, "decode_cancel_replace");
      }
    }
  }
  if (auto r = bn::decode_my_trades(text, ins); checked(r, "decode_my_trades")) {
    for (const auto& t : *r) {
      require(t.symbol == ins.symbol && t.ts_exchange_ns >= 0, "decode_my_trades");
    }
  }
  if (auto r = bn::decode_execution_report(text, ins); checked(r, "decode_execution_report")) {
    check_order(r->order, ins, "decode_execution_report");
    if (r->exec_type == keel::exchange::ExecType::kTrade) {
      require(r->trade.trade_id >= 0, "decode_execution_report: trade id");
    }
  }
  if (auto r = bn::decode_user_event(text, ins); checked(r, "decode_user_event")) {
    require(r->ts_event_ns >= 0, "decode_user_event: E");
    if (r->kind == bn::UserEventKind::kExecutionReport) {
      check_order(r->exec.order, ins, "decode_user_event");
    }
    check_balances(r->balances, "decode_user_event");
    if (r->kind == bn::UserEventKind::kBalanceUpdate) {
      check_balance_update(r->balance_update, "decode_user_event: balanceUpdate");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  (void)checked(bn::decode_error_body(text), "decode_error_body");
  if (auto r = bn::decode_server_time_ms(text); checked(r, "decode_server_time_ms")) {
    require(*r > 0, "decode_server_time_ms: not positive");
  }
  if (auto r = bn::decode_account(text); checked(r, "decode_account")) {
    check_balances(*r, "decode_account");
  }
  if (auto r = bn::decode_account_position(text); checked(r, "decode_account_position")) {
    check_balances(*r, "decode_account_position");
  }
  if (auto r = bn::decode_balance_update(text); checked(r, "decode_balance_update")) {
    check_balance_update(*r, "decode_balance_update");
  }
  if (auto r = bn::decode_ws_api_response(text); checked(r, "decode_ws_api_response")) {
    require(r->status >= 100 && r->status <= 599, "decode_ws_api_response: status");
  }
  for (std::string_view symbol : {"ETHBTC", "BTCUSDT"}) {
    if (auto r = bn::decode_exchange_info(text, symbol); checked(r, "decode_exchange_info")) {
      const Instrument& ins = r->instrument;
      require(ins.symbol == symbol && ins.tick_e8 > 0 && ins.step_e8 > 0 && ins.min_qty_lots > 0,
              "decode_exchange_info: instrument");
    }
  }
  for (const Instrument& ins : instruments()) with_instrument(text, ins);
  (void)checked(bn::parse_exec_type(text), "parse_exec_type");
  (void)checked(bn::parse_order_status(text, 0), "parse_order_status");

  // A response header line "name: value".
  if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    std::string_view value = text.substr(colon + 1);
    bn::RateLimitUsage usage;
    if (bn::apply_rate_limit_header(text.substr(0, colon), value, usage)) {
      require(usage.used_weight_1m >= -1 && usage.order_count_10s >= -1 &&
                  usage.order_count_1d >= -1,
              "apply_rate_limit_header: negative count");
    }
    const auto retry = bn::parse_retry_after_s(value);
    if (retry) require(*retry >= 0, "parse_retry_after_s: negative");
    bn::RateGate gate;
    gate.on_reply(429, -1003, text, retry, 1'723'161'253'000);
    if (auto refusal = gate.refusal(bn::RequestClass::kOther, 1'723'161'253'000)) {
      require(refusal->until_ms > 1'723'161'253'000, "RateGate: refusal ends in the past");
    }
  }
  return 0;
}
