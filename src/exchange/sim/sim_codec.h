// sim_codec.h (private): explicit binary encoding of the sim's stored records.
//
// Every value starts with kRecordVersion. Integers are 8-byte little-endian two's complement,
// bytes and enums one byte, strings a 4-byte little-endian length then the bytes. A value that
// is short, long, or of another version decodes to kCorruption naming the record.
// Keys: "m" meta, "b" balances, "o"+<order seq, 8 bytes big-endian>, "t"+<trade seq, same>,
// "d"+<deposit id, same> (deposit ids from 1; a state written before deposits existed has none
// and opens unchanged), so a prefix scan returns orders, trades and deposits in creation order.
// The seqs are account-wide (sim_state.h "Ids"); the per-symbol order and trade ids are in the
// values. A state of one symbol has seq == id: the layout of a state written before several
// symbols existed, which therefore opens unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/core/status.h"
#include "sim/sim_state.h"

namespace keel::exchange::sim {

inline constexpr std::string_view kMetaKey = "m";
inline constexpr std::string_view kBalancesKey = "b";
inline constexpr char kOrderPrefix = 'o';
inline constexpr char kTradePrefix = 't';
inline constexpr char kDepositPrefix = 'd';

std::string order_key(int64_t order_seq);
std::string trade_key(int64_t trade_seq);
std::string deposit_key(int64_t deposit_id);
// The seq or id of an "o"/"t"/"d" key; -1 when the key is not 9 bytes.
int64_t key_id(std::string_view key);

// The *_into forms write into `out` (cleared first; its capacity is reused).
// Meta: symbols (one string: the served symbols joined by ','; one symbol: its name, as a
// single-instrument state always stored it), account, the two seq counters, position, clock,
// recording_ended.
std::string encode_meta(const SimState& s);
void encode_meta_into(const SimState& s, std::string& out);
Status decode_meta(std::string_view value, SimState& s);

std::string encode_balances(const Balances& b);
void encode_balances_into(const Balances& b, std::string& out);
Status decode_balances(std::string_view value, Balances& b);

std::string encode_order(const SimOrder& o);
void encode_order_into(const SimOrder& o, std::string& out);
Status decode_order(std::string_view value, SimOrder& o);

std::string encode_trade(const TradeReport& t);
void encode_trade_into(const TradeReport& t, std::string& out);
Status decode_trade(std::string_view value, TradeReport& t);

// Deposit: id, asset, delta_e8, event_time_ms, clear_time_ms.
void encode_deposit_into(int64_t id, const BalanceUpdate& u, std::string& out);
Status decode_deposit(std::string_view value, int64_t& id, BalanceUpdate& u);

}  // namespace keel::exchange::sim
