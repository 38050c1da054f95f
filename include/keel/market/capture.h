// keel/market/capture.h: reader of recorded market data (gzip, one message a line).
//
// Reads the binance/ captures of ../shared/data ("<recv_ns> <json>" lines; data/README.md).
// A reader over several files plays them as one recording: a k-way merge by receive time
// (MarketEvent.ts_recv_ns). Each file is read in its own order (never re-sorted: the README
// says file order is receive order); the next event returned is the file head with the
// smallest ts_recv_ns, the earliest file in the given list on a tie (stable). So files of one
// symbol that continue each other (BTCUSDT 20240808 then 20240809: no receive times overlap)
// play as their concatenation, and files of several symbols (btcusdt_20240808 +
// ethusdt_20240808) interleave by receive time.
// Symbols: a REST snapshot line carries none (decode.h leaves MarketEvent.symbol empty); the
// reader gives it the symbol of its file's stream line nearest before it (in these captures the
// bridging diff precedes the snapshot) or, when none precedes, of the file's next stream line,
// found by reading ahead up to 16 events (a file without stream lines there keeps it empty).
// The merge reads each file one event ahead of what it returned.
// Progress is reported as compressed bytes consumed over total compressed bytes (all files).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/core/status.h"
#include "keel/market/events.h"

namespace keel::market {

class CaptureReader {
 public:
  // Errors: kNotFound / kIOError naming the file that cannot be opened.
  static Result<std::unique_ptr<CaptureReader>> open(std::vector<std::string> files);
  ~CaptureReader();

  // Reads the next event of the merge into `out`, reusing its memory (decode.h
  // decode_capture_line_into). Lines whose stream is not handled are skipped. Returns
  // kEndOfData after the last line of every file; kInvalidArgument naming "<file>:<line>" for
  // a malformed line, kIOError naming the file for a damaged one (then `out`'s contents are
  // unspecified). A file's error is returned as soon as the merge reads it (one event ahead of
  // that file's last event returned), and again on every later call.
  Status next(MarketEvent& out);

  uint64_t events_read() const;  // events returned so far (the recording position)
  double progress() const;       // 0.0 .. 1.0 over all files' compressed bytes
  // The file of the last event returned (the first file before any).
  const std::string& current_file() const;

 private:
  struct Impl;
  explicit CaptureReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::market
