// RocksDB persistence of the sim's state (contract in sim_store.h, layout in sim_codec.h).
#include "sim/sim_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "sim/sim_codec.h"

namespace keel::exchange::sim {
namespace {

Status io_error(const std::string& dir, const rocksdb::Status& s) {
  return Status::IOError("sim state '" + dir + "': " + s.ToString());
}

}  // namespace

SimStore::SimStore(std::unique_ptr<rocksdb::DB> db, std::string dir)
    : db_(std::move(db)), dir_(std::move(dir)) {}

SimStore::~SimStore() = default;

Result<std::unique_ptr<SimStore>> SimStore::open(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("sim: state_dir is empty");
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;  // a small, mostly-append state; bound our descriptors
  options.keep_log_file_num = 4;  // RocksDB's info LOG files
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return io_error(dir, s);
  return std::unique_ptr<SimStore>(new SimStore(std::unique_ptr<rocksdb::DB>(raw), dir));
}

Result<bool> SimStore::load(SimState& s) {
  std::string value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), std::string(kMetaKey), &value);
  if (rs.IsNotFound()) return false;
  if (!rs.ok()) return io_error(dir_, rs);
  KEEL_RETURN_IF_ERROR(decode_meta(value, s));
  rs = db_->Get(rocksdb::ReadOptions(), std::string(kBalancesKey), &value);
  if (!rs.ok()) return rs.IsNotFound() ? Status::Corruption("sim state: balances missing")
                                       : io_error(dir_, rs);
  KEEL_RETURN_IF_ERROR(decode_balances(value, s.balances));
  KEEL_RETURN_IF_ERROR(load_orders(s));
  KEEL_RETURN_IF_ERROR(load_trades(s));
  return true;
}

Status SimStore::load_orders(SimState& s) {
  s.orders.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kOrderPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SimOrder o;
    KEEL_RETURN_IF_ERROR(decode_order(std::string_view(it->value().data(), it->value().size()), o));
    if (o.report.order_id <= 0 || o.report.order_id >= s.next_order_id) {
      return Status::Corruption("sim state: order id " + std::to_string(o.report.order_id) +
                                " outside the counter");
    }
    s.orders[o.report.order_id] = std::move(o);
  }
  if (!it->status().ok()) return io_error(dir_, it->status());
  return Status::Ok();
}

Status SimStore::load_trades(SimState& s) {
  s.trades.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kTradePrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    TradeReport t;
    KEEL_RETURN_IF_ERROR(decode_trade(std::string_view(it->value().data(), it->value().size()), t));
    // Trades are written with their order in the same batch, ids from 1 without gaps.
    if (t.trade_id != static_cast<int64_t>(s.trades.size()) + 1) {
      return Status::Corruption("sim state: trade id " + std::to_string(t.trade_id) +
                                " out of sequence");
    }
    s.trades.push_back(std::move(t));
  }
  if (!it->status().ok()) return io_error(dir_, it->status());
  if (static_cast<int64_t>(s.trades.size()) + 1 != s.next_trade_id) {
    return Status::Corruption("sim state: trade count disagrees with the trade counter");
  }
  return Status::Ok();
}

Status SimStore::write(const SimState& s, const Dirty& d) {
  rocksdb::WriteBatch batch;
  batch.Put(std::string(kMetaKey), encode_meta(s));
  if (d.balances) batch.Put(std::string(kBalancesKey), encode_balances(s.balances));
  for (int64_t id : d.orders) {
    auto it = s.orders.find(id);
    KEEL_ASSERT(it != s.orders.end());
    batch.Put(order_key(id), encode_order(it->second));
  }
  for (size_t i = d.first_new_trade; i < s.trades.size(); ++i) {
    batch.Put(trade_key(s.trades[i].trade_id), encode_trade(s.trades[i]));
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // survives process death via the WAL; see the header
  rocksdb::Status rs = db_->Write(wo, &batch);
  if (!rs.ok()) return io_error(dir_, rs);
  return Status::Ok();
}

}  // namespace keel::exchange::sim
