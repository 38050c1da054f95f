// Sequential reader of hftbacktest gzip captures (capture.h).
//
// Why our own line splitter over gzread instead of gzgets: depth snapshot lines are 64 KB+ and
// a chunked buffer with memchr finds line ends without per-line calls into zlib.
#include "keel/market/capture.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "keel/market/decode.h"

namespace keel::market {
namespace {

constexpr size_t kChunkBytes = 1 << 20;        // decompressed bytes read per gzread
constexpr size_t kMaxLineBytes = 64u << 20;    // a longer line is corrupt input
constexpr unsigned kGzBufferBytes = 256 << 10; // zlib's compressed-input buffer

// "<path>: <zlib's reason>". gzerror already prefixes the path it was opened with.
std::string gz_error(gzFile gz, const std::string& path, int* errnum) {
  const char* msg = gzerror(gz, errnum);
  std::string_view reason = msg != nullptr ? msg : "gzip error";
  if (reason.starts_with(path + ": ")) reason.remove_prefix(path.size() + 2);
  return path + ": " + std::string(reason);
}

}  // namespace

struct CaptureReader::Impl {
  std::vector<std::string> files;
  std::vector<uint64_t> sizes;   // compressed bytes per file
  uint64_t total_bytes = 0;
  uint64_t done_bytes = 0;       // compressed bytes of the files already finished
  size_t index = 0;              // file being read
  gzFile gz = nullptr;
  bool gz_eof = false;
  uint64_t line_no = 0;          // 1-based line number in the current file
  uint64_t events = 0;
  std::string buf;               // decompressed bytes; [pos, buf.size()) not yet consumed
  size_t pos = 0;

  ~Impl() { close(); }
  void close() {
    if (gz != nullptr) gzclose(gz);
    gz = nullptr;
  }
  Status open_current();
  Status fill();                             // reads one more chunk into buf
  Status next_line(std::string_view& line);  // kEndOfData at the end of the current file
};

Status CaptureReader::Impl::open_current() {
  close();
  const std::string& path = files[index];
  gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  gzbuffer(gz, kGzBufferBytes);
  gz_eof = false;
  line_no = 0;
  buf.clear();
  pos = 0;
  return Status::Ok();
}

Status CaptureReader::Impl::fill() {
  buf.erase(0, pos);  // keep only the unconsumed tail
  pos = 0;
  const size_t old = buf.size();
  buf.resize(old + kChunkBytes);
  const int n = gzread(gz, buf.data() + old, static_cast<unsigned>(kChunkBytes));
  int errnum = Z_OK;
  if (n < 0) {
    buf.resize(old);
    return Status::IOError(gz_error(gz, files[index], &errnum));
  }
  buf.resize(old + static_cast<size_t>(n));
  if (n == 0) {
    // A truncated gzip member reads as EOF with Z_BUF_ERROR: the capture is damaged.
    const std::string msg = gz_error(gz, files[index], &errnum);
    if (errnum != Z_OK) return Status::IOError(msg);
    gz_eof = true;
  }
  return Status::Ok();
}

Status CaptureReader::Impl::next_line(std::string_view& line) {
  size_t scanned = pos;
  for (;;) {
    const char* start = buf.data() + scanned;
    const void* nl = std::memchr(start, '\n', buf.size() - scanned);
    if (nl != nullptr) {
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
      line = std::string_view(buf.data() + pos, end - pos);
      pos = end + 1;
      ++line_no;
      return Status::Ok();
    }
    if (gz_eof) {
      if (pos == buf.size()) return Status::EndOfData();
      line = std::string_view(buf.data() + pos, buf.size() - pos);  // last line without '\n'
      pos = buf.size();
      ++line_no;
      return Status::Ok();
    }
    if (buf.size() - pos > kMaxLineBytes) {
      return Status::InvalidArgument(files[index] + ":" + std::to_string(line_no + 1) +
                                     ": line longer than " + std::to_string(kMaxLineBytes));
    }
    const size_t tail = buf.size() - pos;  // unconsumed bytes, known to hold no '\n'
    KEEL_RETURN_IF_ERROR(fill());          // moves the tail to the front (pos = 0)
    scanned = tail;
  }
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(std::vector<std::string> files) {
  if (files.empty()) return Status::InvalidArgument("files: empty list");
  auto impl = std::make_unique<Impl>();
  for (const std::string& path : files) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) return Status::NotFound(path + ": no such file");
      return Status::IOError(path + ": " + ec.message());
    }
    impl->sizes.push_back(size);
    impl->total_bytes += size;
  }
  impl->files = std::move(files);
  KEEL_RETURN_IF_ERROR(impl->open_current());
  return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
}

CaptureReader::CaptureReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureReader::~CaptureReader() = default;

Status CaptureReader::next(MarketEvent& out) {
  Impl& m = *impl_;
  for (;;) {
    if (m.gz == nullptr) return Status::EndOfData();
    std::string_view line;
    Status s = m.next_line(line);
    if (s.code() == Code::kEndOfData) {
      m.done_bytes += m.sizes[m.index];
      m.close();
      if (m.index + 1 == m.files.size()) return Status::EndOfData();
      ++m.index;
      KEEL_RETURN_IF_ERROR(m.open_current());
      continue;
    }
    KEEL_RETURN_IF_ERROR(s);
    if (line.empty() || line == "\r") continue;
    // Into `out` directly: its vectors and symbol keep their memory from event to event.
    Status ev = decode_capture_line_into(line, out);
    if (ev.ok()) {
      ++m.events;
      return Status::Ok();
    }
    if (ev.code() == Code::kNotFound) continue;  // a stream we do not handle
    return Status::InvalidArgument(m.files[m.index] + ":" + std::to_string(m.line_no) + ": " +
                                   ev.message());
  }
}

uint64_t CaptureReader::events_read() const { return impl_->events; }

double CaptureReader::progress() const {
  const Impl& m = *impl_;
  if (m.total_bytes == 0) return 1.0;
  uint64_t bytes = m.done_bytes;
  if (m.gz != nullptr) {
    const z_off_t off = gzoffset(m.gz);
    if (off > 0) bytes += static_cast<uint64_t>(off);
  }
  if (bytes > m.total_bytes) bytes = m.total_bytes;
  return static_cast<double>(bytes) / static_cast<double>(m.total_bytes);
}

const std::string& CaptureReader::current_file() const { return impl_->files[impl_->index]; }

}  // namespace keel::market
