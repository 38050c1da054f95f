// RocksDB persistence of the sim's state (contract in sim_store.h, layout in sim_codec.h).
#include "sim/sim_store.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/sim_codec.h"

namespace keel::exchange::sim {

// The position cell's record (sim_store.h). Written field by field with relaxed atomic stores
// (each 8-byte store is whole; the compiler may not drop or merge them); a kill between two
// stores leaves a record whose checksum does not match, which load() ignores.
struct SimStore::Cell {
  uint64_t magic;
  uint64_t base_position;  // the meta record's position this cell extends
  uint64_t position;       // events consumed
  uint64_t now_ns;         // the sim's clock after them (int64 bits)
  uint64_t check;          // checksum of the four fields above
};

namespace {

constexpr uint64_t kCellMagic = 0x314C4C4543534F50ull;  // "POSCELL1", little-endian
constexpr size_t kCellBytes = 4096;                      // one page

Status io_error(const std::string& dir, const rocksdb::Status& s) {
  return Status::IOError("sim state '" + dir + "': " + s.ToString());
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

uint64_t cell_check(uint64_t magic, uint64_t base, uint64_t position, uint64_t now) {
  return mix(mix(mix(mix(0x6B65656C, magic), base), position), now);
}

uint64_t load_relaxed(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
void store_relaxed(uint64_t& v, uint64_t x) { __atomic_store_n(&v, x, __ATOMIC_RELAXED); }

}  // namespace

SimStore::SimStore(std::unique_ptr<rocksdb::DB> db, std::string dir)
    : db_(std::move(db)), dir_(std::move(dir)), batch_(std::make_unique<rocksdb::WriteBatch>()) {}

SimStore::~SimStore() {
  if (cell_ != nullptr) ::munmap(cell_, kCellBytes);
  if (cell_fd_ >= 0) ::close(cell_fd_);
}

// Maps the cell's file, creating it (zeros: no valid cell) when missing.
Status SimStore::open_cell() {
  const std::string path = dir_ + "/" + kPositionCellFile;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("sim state '" + path + "': " + std::strerror(errno));
  cell_fd_ = fd;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status::IOError("sim state '" + path + "': " + std::strerror(errno));
  }
  if (static_cast<size_t>(st.st_size) < kCellBytes &&
      ::ftruncate(fd, static_cast<off_t>(kCellBytes)) != 0) {
    return Status::IOError("sim state '" + path + "': " + std::strerror(errno));
  }
  void* p = ::mmap(nullptr, kCellBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Status::IOError("sim state '" + path + "': " + std::strerror(errno));
  cell_ = static_cast<Cell*>(p);
  return Status::Ok();
}

void SimStore::store_cell(uint64_t base, uint64_t position, int64_t now_ns) {
  const auto now = static_cast<uint64_t>(now_ns);
  store_relaxed(cell_->magic, kCellMagic);
  store_relaxed(cell_->base_position, base);
  store_relaxed(cell_->position, position);
  store_relaxed(cell_->now_ns, now);
  store_relaxed(cell_->check, cell_check(kCellMagic, base, position, now));
}

void SimStore::mark_position(const SimState& s) {
  store_cell(meta_position_, s.position, s.now_ns);
}

Result<std::unique_ptr<SimStore>> SimStore::open(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("sim: state_dir is empty");
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;  // a small, mostly-append state; bound our descriptors
  options.keep_log_file_num = 4;  // RocksDB's info LOG files
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return io_error(dir, s);
  std::unique_ptr<SimStore> store(new SimStore(std::unique_ptr<rocksdb::DB>(raw), dir));
  KEEL_RETURN_IF_ERROR(store->open_cell());  // after the DB's LOCK: one process per directory
  return store;
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
  KEEL_RETURN_IF_ERROR(load_deposits(s));
  meta_position_ = s.position;
  // Events consumed after the last write changed nothing but the position and the clock.
  const uint64_t magic = load_relaxed(cell_->magic), base = load_relaxed(cell_->base_position);
  const uint64_t pos = load_relaxed(cell_->position), now = load_relaxed(cell_->now_ns);
  if (magic == kCellMagic && load_relaxed(cell_->check) == cell_check(magic, base, pos, now) &&
      base == s.position && pos >= s.position && static_cast<int64_t>(now) >= s.now_ns) {
    s.position = pos;
    s.now_ns = static_cast<int64_t>(now);
  }
  return true;
}

Status SimStore::load_orders(SimState& s) {
  s.orders.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kOrderPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SimOrder o;
    KEEL_RETURN_IF_ERROR(decode_order(std::string_view(it->value().data(), it->value().size()), o));
    const int64_t seq = key_id(std::string_view(it->key().data(), it->key().size()));
    if (seq <= 0 || seq >= s.next_order_seq || o.report.order_id <= 0) {
      return Status::Corruption("sim state: order seq " + std::to_string(seq) + " (id " +
                                std::to_string(o.report.order_id) + ") outside the counter");
    }
    s.orders[seq] = std::move(o);
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
    // Trades are written with their order in the same batch, seqs from 1 without gaps.
    const int64_t seq = key_id(std::string_view(it->key().data(), it->key().size()));
    if (seq != static_cast<int64_t>(s.trades.size()) + 1) {
      return Status::Corruption("sim state: trade seq " + std::to_string(seq) +
                                " out of sequence");
    }
    s.trades.push_back(std::move(t));
  }
  if (!it->status().ok()) return io_error(dir_, it->status());
  if (static_cast<int64_t>(s.trades.size()) + 1 != s.next_trade_seq) {
    return Status::Corruption("sim state: trade count disagrees with the trade counter");
  }
  return Status::Ok();
}

// Deposits are written in the batch of their balance change, ids from 1 without gaps; a state
// from before deposits existed has none.
Status SimStore::load_deposits(SimState& s) {
  s.deposits.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kDepositPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    int64_t id = 0;
    BalanceUpdate u;
    KEEL_RETURN_IF_ERROR(
        decode_deposit(std::string_view(it->value().data(), it->value().size()), id, u));
    if (id != static_cast<int64_t>(s.deposits.size()) + 1) {
      return Status::Corruption("sim state: deposit id " + std::to_string(id) +
                                " out of sequence");
    }
    s.deposits.push_back(std::move(u));
  }
  if (!it->status().ok()) return io_error(dir_, it->status());
  return Status::Ok();
}

Status SimStore::write(const SimState& s, const Dirty& d) {
  rocksdb::WriteBatch& batch = *batch_;
  batch.Clear();
  encode_meta_into(s, value_);
  batch.Put(kMetaKey, value_);
  if (d.balances) {
    encode_balances_into(s.balances, value_);
    batch.Put(kBalancesKey, value_);
  }
  for (int64_t seq : d.orders) {
    auto it = s.orders.find(seq);
    KEEL_ASSERT(it != s.orders.end());
    encode_order_into(it->second, value_);
    batch.Put(order_key(seq), value_);
  }
  for (size_t i = d.first_new_trade; i < s.trades.size(); ++i) {
    encode_trade_into(s.trades[i], value_);
    batch.Put(trade_key(static_cast<int64_t>(i) + 1), value_);
  }
  for (size_t i = d.first_new_deposit; i < s.deposits.size(); ++i) {
    const auto id = static_cast<int64_t>(i) + 1;
    encode_deposit_into(id, s.deposits[i], value_);
    batch.Put(deposit_key(id), value_);
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // survives process death via the WAL; see the header
  rocksdb::Status rs = db_->Write(wo, &batch);
  if (!rs.ok()) return io_error(dir_, rs);
  meta_position_ = s.position;
  store_cell(s.position, s.position, s.now_ns);
  return Status::Ok();
}

}  // namespace keel::exchange::sim
