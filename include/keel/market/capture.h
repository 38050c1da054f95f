// keel/market/capture.h: sequential reader of recorded market data (gzip, one message a line).
//
// Reads the binance/ captures of ../shared/data ("<recv_ns> <json>" lines; data/README.md).
// A reader over several files plays them as one recording, in the given order (the BTCUSDT
// 20240808 file then 20240809, which continues it). Progress is reported as compressed bytes
// consumed over total compressed bytes.
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

  // Reads the next event into `out`, reusing its memory (decode.h decode_capture_line_into).
  // Lines whose stream is not handled are skipped. Returns kEndOfData after the last line of
  // the last file; kInvalidArgument naming "<file>:<line>" for a malformed line (then `out`'s
  // contents are unspecified).
  Status next(MarketEvent& out);

  uint64_t events_read() const;  // events returned so far (the recording position)
  double progress() const;       // 0.0 .. 1.0 over all files' compressed bytes
  const std::string& current_file() const;

 private:
  struct Impl;
  explicit CaptureReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::market
