// Power loss and a full disk under RocksDB (contract and durability model in
// keel/journal/fault_fs.h).
//
// Why one mutex for everything: a power cut must be a single instant. The cut takes the mutex
// and never gives it back, so a RocksDB thread that is about to append or sync blocks forever
// instead of landing a write after the truncation; the SIGKILL then ends every thread at once.
// The cost (file operations of the DB serialised) only exists in this test mode.
//
// Why the durable length is stat(2)'s size at a sync and not a running count of appended
// bytes: a failed or partial append leaves bytes the count would not know about; after
// fdatasync the file's size is exactly what the disk holds.
#include "keel/journal/fault_fs.h"

#include <pthread.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "keel/core/failpoint.h"

namespace keel::journal {

namespace {

using rocksdb::DataVerificationInfo;
using rocksdb::FileOptions;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// What is known of one file opened for writing. Owned by the map (by path) and by its open
// handle; both only touch it under FaultFs::Impl::mu.
struct Entry {
  std::string path;
  uint64_t size_bytes = 0;
  uint64_t durable_bytes = 0;
  bool tracked = true;  // false once deleted or replaced: the handle then updates nothing
};

bool file_size(const std::string& path, uint64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  *size = static_cast<uint64_t>(st.st_size);
  return true;
}

}  // namespace

struct FaultFs::Impl final : public rocksdb::FileSystemWrapper {
  explicit Impl(Options o)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()),
        budget(o.disk_full_after_bytes) {}

  const char* Name() const override { return "KeelFaultFs"; }

  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<Entry>> files;  // guarded by mu
  uint64_t appended = 0;                                 // guarded by mu
  uint64_t budget;                                       // guarded by mu
  bool full = false;                                     // guarded by mu

  // REQUIRES mu. Charges n bytes against the budget: NoSpace (nothing may be written) when
  // they do not fit, and from then on for every append.
  IOStatus charge_locked(size_t n, const Entry& e) {
    if (!full && (budget == kUnlimited || (appended <= budget && n <= budget - appended))) {
      return IOStatus::OK();
    }
    full = true;
    IOStatus s = IOStatus::NoSpace("While appending to file: " + e.path,
                                   "No space left on device (KEEL_DISK_FULL_AFTER_BYTES)");
    s.SetRetryable(true);  // as PosixWritableFile reports ENOSPC
    return s;
  }

  // REQUIRES mu. Starts tracking `path` (replacing whatever was tracked there).
  std::shared_ptr<Entry> track_locked(const std::string& path, uint64_t size, uint64_t durable) {
    auto e = std::make_shared<Entry>();
    e->path = path;
    e->size_bytes = size;
    e->durable_bytes = durable;
    untrack_locked(path);
    files[path] = e;
    return e;
  }
  void untrack_locked(const std::string& path) {
    auto it = files.find(path);
    if (it == files.end()) return;
    it->second->tracked = false;
    files.erase(it);
  }

  // REQUIRES mu. Cuts every tracked file to its durable length; returns files shortened and
  // bytes dropped.
  std::pair<size_t, uint64_t> truncate_locked() {
    size_t cut = 0;
    uint64_t dropped = 0;
    for (auto& [path, e] : files) {
      uint64_t size = 0;
      if (!file_size(path, &size)) continue;  // gone (removed behind RocksDB's back)
      if (size > e->durable_bytes &&
          ::truncate(path.c_str(), static_cast<off_t>(e->durable_bytes)) == 0) {
        ++cut;
        dropped += size - e->durable_bytes;
      }
      e->size_bytes = e->durable_bytes;
    }
    return {cut, dropped};
  }

  IOStatus wrap(IOStatus s, const std::string& path, std::unique_ptr<FSWritableFile>* r,
                uint64_t size, uint64_t durable, bool keep_existing);

  IOStatus NewWritableFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return wrap(target()->NewWritableFile(f, o, r, dbg), f, r, 0, 0, false);
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& o,
                              std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    uint64_t size = 0;
    (void)file_size(f, &size);
    // Not tracked before: its present bytes predate us and count as durable.
    return wrap(target()->ReopenWritableFile(f, o, r, dbg), f, r, size, size, true);
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const FileOptions& o,
                             std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    IOStatus s = target()->ReuseWritableFile(f, old, o, r, dbg);
    if (s.ok()) untrack_locked(old);
    return wrap(std::move(s), f, r, 0, 0, false);
  }
  IOStatus NewRandomRWFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                           IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return target()->NewRandomRWFile(f, o, r, dbg);
  }
  IOStatus DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    IOStatus s = target()->DeleteFile(f, o, dbg);
    if (s.ok()) untrack_locked(f);
    return s;
  }
  IOStatus Truncate(const std::string& f, size_t size, const IOOptions& o,
                    IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    IOStatus s = target()->Truncate(f, size, o, dbg);
    auto it = files.find(f);
    if (s.ok() && it != files.end()) {
      it->second->size_bytes = size;
      it->second->durable_bytes = std::min<uint64_t>(it->second->durable_bytes, size);
    }
    return s;
  }
  IOStatus RenameFile(const std::string& src, const std::string& dst, const IOOptions& o,
                      IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    IOStatus s = target()->RenameFile(src, dst, o, dbg);
    if (!s.ok() || src == dst) return s;
    untrack_locked(dst);  // the file that had this name is gone
    auto it = files.find(src);
    if (it != files.end()) {
      std::shared_ptr<Entry> e = std::move(it->second);
      files.erase(it);
      e->path = dst;
      files[dst] = std::move(e);
    }
    return s;
  }
  IOStatus LinkFile(const std::string& src, const std::string& dst, const IOOptions& o,
                    IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return target()->LinkFile(src, dst, o, dbg);
  }
  IOStatus CreateDir(const std::string& d, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return target()->CreateDir(d, o, dbg);
  }
  IOStatus CreateDirIfMissing(const std::string& d, const IOOptions& o,
                              IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return target()->CreateDirIfMissing(d, o, dbg);
  }
  IOStatus DeleteDir(const std::string& d, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(mu);
    return target()->DeleteDir(d, o, dbg);
  }
};

namespace {

// An open file of the DB: every call that writes takes the file system's mutex.
class TrackedWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedWritableFile(std::unique_ptr<FSWritableFile>&& t, FaultFs::Impl& fs,
                      std::shared_ptr<Entry> e)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(t)), fs_(fs), e_(std::move(e)) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = fs_.charge_locked(data.size(), *e_);
    if (s.ok()) s = target()->Append(data, o, dbg);
    if (s.ok()) appended_locked(e_->size_bytes + data.size(), data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const DataVerificationInfo& v,
                  IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = fs_.charge_locked(data.size(), *e_);
    if (s.ok()) s = target()->Append(data, o, v, dbg);
    if (s.ok()) appended_locked(e_->size_bytes + data.size(), data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = fs_.charge_locked(data.size(), *e_);
    if (s.ok()) s = target()->PositionedAppend(data, offset, o, dbg);
    if (s.ok()) appended_locked(std::max(e_->size_bytes, offset + data.size()), data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const DataVerificationInfo& v, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = fs_.charge_locked(data.size(), *e_);
    if (s.ok()) s = target()->PositionedAppend(data, offset, o, v, dbg);
    if (s.ok()) appended_locked(std::max(e_->size_bytes, offset + data.size()), data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok() && e_->tracked) {
      e_->size_bytes = size;
      e_->durable_bytes = std::min(e_->durable_bytes, size);
    }
    return s;
  }
  IOStatus Close(const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    return target()->Close(o, dbg);  // closing makes nothing durable
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    return target()->Flush(o, dbg);  // user space to page cache: not durable
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = target()->Sync(o, dbg);
    if (s.ok()) synced_locked();
    return s;
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    IOStatus s = target()->Fsync(o, dbg);
    if (s.ok()) synced_locked();
    return s;
  }
  IOStatus RangeSync(uint64_t offset, uint64_t n, const IOOptions& o,
                     IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    // sync_file_range starts write-back; it neither waits for the metadata nor flushes the
    // drive's cache, so it makes nothing durable here.
    return target()->RangeSync(offset, n, o, dbg);
  }
  IOStatus Allocate(uint64_t offset, uint64_t len, const IOOptions& o,
                    IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    return target()->Allocate(offset, len, o, dbg);
  }
  void PrepareWrite(size_t offset, size_t len, const IOOptions& o, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> l(fs_.mu);
    target()->PrepareWrite(offset, len, o, dbg);
  }

 private:
  void appended_locked(uint64_t new_size, size_t n) {
    fs_.appended += n;
    if (e_->tracked) e_->size_bytes = new_size;
  }
  void synced_locked() {
    if (!e_->tracked) return;
    uint64_t size = e_->size_bytes;
    (void)file_size(e_->path, &size);  // what the disk now holds; the count if stat fails
    e_->size_bytes = std::max(e_->size_bytes, size);
    e_->durable_bytes = size;
  }

  FaultFs::Impl& fs_;
  std::shared_ptr<Entry> e_;
};

}  // namespace

IOStatus FaultFs::Impl::wrap(IOStatus s, const std::string& path,
                             std::unique_ptr<FSWritableFile>* r, uint64_t size, uint64_t durable,
                             bool keep_existing) {
  if (!s.ok()) return s;
  std::shared_ptr<Entry> e;
  auto it = files.find(path);
  if (keep_existing && it != files.end()) {
    e = it->second;  // reopened: the durable length of the earlier handle still holds
  } else {
    e = track_locked(path, size, durable);
  }
  *r = std::make_unique<TrackedWritableFile>(std::move(*r), *this, std::move(e));
  return s;
}

// ---- the process registry of power-loss file systems --------------------------------------

namespace {

std::mutex g_registry_mu;
std::vector<FaultFs::Impl*> g_registry;  // guarded by g_registry_mu

// Takes every lock (for good), cuts every registered file system, says so. Used by
// power_cut_now() and, returning so that the failpoint kills, as the failpoint crash hook.
void cut_and_hold() {
  g_registry_mu.lock();  // never released: the process is about to die
  size_t files = 0;
  uint64_t dropped = 0;
  for (FaultFs::Impl* fs : g_registry) {
    fs->mu.lock();  // never released either: no write may land after the cut
    const auto [cut, bytes] = fs->truncate_locked();
    files += cut;
    dropped += bytes;
  }
  char msg[200];
  const int n = std::snprintf(msg, sizeof msg,
                              "keel: power cut: %zu journal files cut to their last sync "
                              "(%llu unsynced bytes lost); SIGKILL\n",
                              files, static_cast<unsigned long long>(dropped));
  if (n > 0) (void)!write(2, msg, static_cast<size_t>(n));
}

void register_fs(FaultFs::Impl* fs) {
  {
    std::lock_guard<std::mutex> l(g_registry_mu);
    g_registry.push_back(fs);
  }
  set_crash_hook(&cut_and_hold);
}

void unregister_fs(FaultFs::Impl* fs) {
  std::lock_guard<std::mutex> l(g_registry_mu);
  g_registry.erase(std::remove(g_registry.begin(), g_registry.end(), fs), g_registry.end());
}

Result<uint64_t> parse_bytes(const char* name, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v >= FaultFs::kUnlimited) {
    return Status::InvalidArgument(std::string(name) + "='" + text +
                                   "': expected a decimal byte count");
  }
  return static_cast<uint64_t>(v);
}

}  // namespace

// ---- FaultFs --------------------------------------------------------------------------------

FaultFs::FaultFs(Options options)
    : impl_(std::make_shared<Impl>(options)), env_(rocksdb::NewCompositeEnv(impl_)) {}

FaultFs::~FaultFs() {
  if (registered_) unregister_fs(impl_.get());
}

std::shared_ptr<FaultFs> FaultFs::create(Options options) {
  std::shared_ptr<FaultFs> fs(new FaultFs(options));
  if (options.power_loss) {
    register_fs(fs->impl_.get());
    fs->registered_ = true;
  }
  return fs;
}

Result<FaultFs::Options> FaultFs::options_from_env() {
  Options o;
  const char* pl = std::getenv("KEEL_POWER_LOSS");
  if (pl != nullptr && *pl != '\0' && std::strcmp(pl, "0") != 0) {
    if (std::strcmp(pl, "1") != 0) {
      return Status::InvalidArgument(std::string("KEEL_POWER_LOSS='") + pl +
                                     "': expected 1 (on) or 0 (off)");
    }
    o.power_loss = true;
  }
  const char* full = std::getenv("KEEL_DISK_FULL_AFTER_BYTES");
  if (full != nullptr && *full != '\0') {
    Result<uint64_t> n = parse_bytes("KEEL_DISK_FULL_AFTER_BYTES", full);
    if (!n.ok()) return n.status();
    o.disk_full_after_bytes = *n;
  }
  return o;
}

Result<std::shared_ptr<FaultFs>> FaultFs::from_env() {
  static std::mutex mu;
  // Never destroyed: a cut must see every file, and a DB still open at exit keeps its Env.
  static auto* process_fs = new std::shared_ptr<FaultFs>();
  Result<Options> o = options_from_env();
  if (!o.ok()) return o.status();
  if (!o->power_loss && o->disk_full_after_bytes == kUnlimited) return std::shared_ptr<FaultFs>();
  std::lock_guard<std::mutex> l(mu);
  if (!*process_fs) *process_fs = create(*o);
  return *process_fs;
}

rocksdb::Env* FaultFs::env() const { return env_.get(); }
std::shared_ptr<rocksdb::FileSystem> FaultFs::file_system() const { return impl_; }

uint64_t FaultFs::appended_bytes() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->appended;
}

void FaultFs::set_disk_full_after_bytes(uint64_t total_bytes) {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->budget = total_bytes;
  impl_->full = false;
}

bool FaultFs::disk_full() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->full;
}

std::vector<FaultFs::TrackedFile> FaultFs::tracked_files() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<TrackedFile> out;
  for (const auto& [path, e] : impl_->files) out.push_back({path, e->size_bytes, e->durable_bytes});
  return out;
}

size_t FaultFs::truncate_to_durable_for_testing() {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->truncate_locked().first;
}

void FaultFs::power_cut() {
  if (!registered_) {
    register_fs(impl_.get());
    registered_ = true;
  }
  power_cut_now();
}

void power_cut_now() {
  cut_and_hold();
  kill(getpid(), SIGKILL);
  std::_Exit(137);  // not reached
}

void install_power_cut_signal() {
  static std::once_flag once;
  std::call_once(once, [] {
    Result<FaultFs::Options> o = FaultFs::options_from_env();
    if (!o.ok()) {
      std::fprintf(stderr, "keel: %s\n", o.status().message().c_str());
      std::_Exit(1);
    }
    if (!o->power_loss) return;
    set_crash_hook(&cut_and_hold);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
      std::fprintf(stderr, "keel: KEEL_POWER_LOSS: blocking SIGUSR2: %s\n", std::strerror(rc));
      std::_Exit(1);
    }
    std::thread([set] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) == 0 && sig == SIGUSR2) power_cut_now();
      }
    }).detach();
  });
}

}  // namespace keel::journal
