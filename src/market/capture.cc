// Reader of hftbacktest gzip captures (capture.h): one line splitter per file, merged by
// receive time.
//
// Why our own line splitter over gzread instead of gzgets: depth snapshot lines are 64 KB+ and
// a chunked buffer with memchr finds line ends without per-line calls into zlib.
// Why a linear scan for the merge rather than a heap: a recording has a handful of files (one
// or two per symbol), and a scan of a few heads is cheaper than heap upkeep and keeps the tie
// rule (lowest file index) obvious.
#include "keel/market/capture.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "keel/market/decode.h"

namespace keel::market {
namespace {

constexpr size_t kChunkBytes = 1 << 20;        // decompressed bytes read per gzread
constexpr size_t kMaxLineBytes = 64u << 20;    // a longer line is corrupt input
constexpr unsigned kGzBufferBytes = 256 << 10; // zlib's compressed-input buffer
// Events read ahead of a symbol-less snapshot to find its file's symbol (capture.h).
constexpr size_t kMaxSymbolReadAhead = 16;

// "<path>: <zlib's reason>". gzerror already prefixes the path it was opened with.
std::string gz_error(gzFile gz, const std::string& path, int* errnum) {
  const char* msg = gzerror(gz, errnum);
  std::string_view reason = msg != nullptr ? msg : "gzip error";
  if (reason.starts_with(path + ": ")) reason.remove_prefix(path.size() + 2);
  return path + ": " + std::string(reason);
}

// One capture file: its line splitter, the decoded event at its head (the next one the merge
// may return) and the events read ahead of it.
class FileCursor {
 public:
  FileCursor(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  ~FileCursor() { close(); }
  FileCursor(const FileCursor&) = delete;
  FileCursor& operator=(const FileCursor&) = delete;

  Status open();
  // Moves the file on by one event: head() is then its next event, or has_head() is false and
  // end() says why (kEndOfData or the error).
  void advance();
  bool has_head() const { return has_head_; }
  MarketEvent& head() { return head_; }
  const Status& end() const { return end_; }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  uint64_t bytes_read() const;  // compressed bytes consumed

 private:
  void close() {
    if (gz_ != nullptr) gzclose(gz_);
    gz_ = nullptr;
  }
  Status fill();                             // reads one more chunk into buf_
  Status next_line(std::string_view& line);  // kEndOfData at the end of the file
  Status read_event(MarketEvent& ev);        // the next decoded event; kEndOfData at the end
  void read_ahead_for_symbol();

  std::string path_;
  uint64_t size_ = 0;
  gzFile gz_ = nullptr;
  bool gz_eof_ = false;
  bool finished_ = false;  // read to its end (and closed)
  uint64_t line_no_ = 0;   // 1-based number of the last line read
  std::string buf_;        // decompressed bytes; [pos_, buf_.size()) not yet consumed
  size_t pos_ = 0;
  std::string symbol_;     // the symbol of the file's last stream line
  MarketEvent head_;
  bool has_head_ = false;
  std::deque<MarketEvent> ahead_;  // read after head_ (only to find a snapshot's symbol)
  Status end_;             // once no event is left: kEndOfData or the error
};

Status FileCursor::open() {
  gz_ = gzopen(path_.c_str(), "rb");
  if (gz_ == nullptr) return Status::IOError(path_ + ": cannot open: " + std::strerror(errno));
  gzbuffer(gz_, kGzBufferBytes);
  return Status::Ok();
}

uint64_t FileCursor::bytes_read() const {
  if (finished_) return size_;
  if (gz_ == nullptr) return 0;
  const z_off_t off = gzoffset(gz_);
  return off > 0 ? static_cast<uint64_t>(off) : 0;
}

Status FileCursor::fill() {
  buf_.erase(0, pos_);  // keep only the unconsumed tail
  pos_ = 0;
  const size_t old = buf_.size();
  buf_.resize(old + kChunkBytes);
  const int n = gzread(gz_, buf_.data() + old, static_cast<unsigned>(kChunkBytes));
  int errnum = Z_OK;
  if (n < 0) {
    buf_.resize(old);
    return Status::IOError(gz_error(gz_, path_, &errnum));
  }
  buf_.resize(old + static_cast<size_t>(n));
  if (n == 0) {
    // A truncated gzip member reads as EOF with Z_BUF_ERROR: the capture is damaged.
    const std::string msg = gz_error(gz_, path_, &errnum);
    if (errnum != Z_OK) return Status::IOError(msg);
    gz_eof_ = true;
  }
  return Status::Ok();
}

Status FileCursor::next_line(std::string_view& line) {
  size_t scanned = pos_;
  for (;;) {
    const char* start = buf_.data() + scanned;
    const void* nl = std::memchr(start, '\n', buf_.size() - scanned);
    if (nl != nullptr) {
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      line = std::string_view(buf_.data() + pos_, end - pos_);
      pos_ = end + 1;
      ++line_no_;
      return Status::Ok();
    }
    if (gz_eof_) {
      if (pos_ == buf_.size()) return Status::EndOfData();
      line = std::string_view(buf_.data() + pos_, buf_.size() - pos_);  // no final '\n'
      pos_ = buf_.size();
      ++line_no_;
      return Status::Ok();
    }
    if (buf_.size() - pos_ > kMaxLineBytes) {
      return Status::InvalidArgument(path_ + ":" + std::to_string(line_no_ + 1) +
                                     ": line longer than " + std::to_string(kMaxLineBytes));
    }
    const size_t tail = buf_.size() - pos_;  // unconsumed bytes, known to hold no '\n'
    KEEL_RETURN_IF_ERROR(fill());            // moves the tail to the front (pos_ = 0)
    scanned = tail;
  }
}

Status FileCursor::read_event(MarketEvent& ev) {
  for (;;) {
    if (finished_) return Status::EndOfData();
    std::string_view line;
    Status s = next_line(line);
    if (s.code() == Code::kEndOfData) {
      finished_ = true;
      close();
      return s;
    }
    KEEL_RETURN_IF_ERROR(s);
    if (line.empty() || line == "\r") continue;
    // Into `ev` directly: its vectors and symbol keep their memory from event to event.
    Status d = decode_capture_line_into(line, ev);
    if (d.ok()) return d;
    if (d.code() == Code::kNotFound) continue;  // a stream we do not handle
    return Status::InvalidArgument(path_ + ":" + std::to_string(line_no_) + ": " + d.message());
  }
}

void FileCursor::advance() {
  if (!ahead_.empty()) {
    head_ = std::move(ahead_.front());
    ahead_.pop_front();
    has_head_ = true;
    return;  // its symbol was settled when it was read ahead
  }
  has_head_ = false;
  if (!end_.ok()) return;
  Status s = read_event(head_);
  if (!s.ok()) {
    end_ = std::move(s);
    return;
  }
  has_head_ = true;
  if (!head_.symbol.empty()) {
    symbol_ = head_.symbol;
  } else if (!symbol_.empty()) {
    head_.symbol = symbol_;  // a REST snapshot: the symbol of the stream line before it
  } else {
    read_ahead_for_symbol();
  }
}

// A snapshot before any stream line of its file: the next stream line names the symbol. The
// events read on the way wait in ahead_ (returned later, in file order); an error or the end
// of the file waits in end_ behind them. At most kMaxSymbolReadAhead events: a file of
// snapshots only keeps their symbol empty.
void FileCursor::read_ahead_for_symbol() {
  while (ahead_.size() < kMaxSymbolReadAhead) {
    MarketEvent& ev = ahead_.emplace_back();
    Status s = read_event(ev);
    if (!s.ok()) {
      ahead_.pop_back();
      end_ = std::move(s);
      return;
    }
    if (ev.symbol.empty()) continue;
    symbol_ = ev.symbol;
    head_.symbol = symbol_;
    for (MarketEvent& e : ahead_) {
      if (e.symbol.empty()) e.symbol = symbol_;
    }
    return;
  }
}

}  // namespace

struct CaptureReader::Impl {
  std::vector<std::unique_ptr<FileCursor>> files;
  uint64_t total_bytes = 0;
  bool primed = false;  // every file's head read (on the first next())
  size_t current = 0;   // the file of the last event returned
  uint64_t events = 0;
};

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(std::vector<std::string> files) {
  if (files.empty()) return Status::InvalidArgument("files: empty list");
  auto impl = std::make_unique<Impl>();
  for (std::string& path : files) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) return Status::NotFound(path + ": no such file");
      return Status::IOError(path + ": " + ec.message());
    }
    impl->total_bytes += size;
    impl->files.push_back(std::make_unique<FileCursor>(std::move(path), size));
  }
  for (auto& f : impl->files) KEEL_RETURN_IF_ERROR(f->open());
  return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
}

CaptureReader::CaptureReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureReader::~CaptureReader() = default;

Status CaptureReader::next(MarketEvent& out) {
  Impl& m = *impl_;
  if (!m.primed) {
    for (auto& f : m.files) f->advance();
    m.primed = true;
  }
  // The earliest head by receive time, the lowest file index on a tie; a file whose read
  // failed stops the merge with its error as soon as it is known.
  FileCursor* best = nullptr;
  size_t best_index = 0;
  for (size_t i = 0; i < m.files.size(); ++i) {
    FileCursor& f = *m.files[i];
    if (!f.has_head()) {
      if (f.end().code() != Code::kEndOfData) return f.end();
      continue;
    }
    if (best == nullptr || f.head().ts_recv_ns < best->head().ts_recv_ns) {
      best = &f;
      best_index = i;
    }
  }
  if (best == nullptr) return Status::EndOfData();
  std::swap(out, best->head());  // the head's memory goes out; out's old memory is reused
  best->advance();
  m.current = best_index;
  ++m.events;
  return Status::Ok();
}

uint64_t CaptureReader::events_read() const { return impl_->events; }

double CaptureReader::progress() const {
  const Impl& m = *impl_;
  if (m.total_bytes == 0) return 1.0;
  uint64_t bytes = 0;
  for (const auto& f : m.files) bytes += f->bytes_read();
  if (bytes > m.total_bytes) bytes = m.total_bytes;
  return static_cast<double>(bytes) / static_cast<double>(m.total_bytes);
}

const std::string& CaptureReader::current_file() const {
  return impl_->files[impl_->current]->path();
}

}  // namespace keel::market
