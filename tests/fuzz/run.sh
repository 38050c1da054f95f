#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, with corpora seeded from ../shared/data, a real
# journal and the documented Binance messages of tests/fuzz/corpus/binance.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]   (BUILD_DIR built -DKEEL_FUZZ=ON)
# FUZZ_TARGETS (space-separated names without fuzz_) picks a subset.
# A crash, a leak or a sanitizer report fails the run; the reproducer is left in BUILD_DIR/fuzz.
# The seed journal is written by KEEL_BIN (default build/bin/keel, the regular build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
shared=../shared/data
work=$build/fuzz
mkdir -p "$work"
corpus() { mkdir -p "$work/corpus/$1"; echo "$work/corpus/$1"; }

# Seeds: recorded market messages (a sample of every capture), the configs, a real journal.
c=$(corpus market_decode)
for f in "$shared"/binance/spot/*.gz "$shared"/binance/usdm/*.gz; do
  zcat "$f" | awk -v dir="$c" -v base="$(basename "$f")" 'NR<=400 && NR%4==1 {
      print > (dir "/" base "-" NR ".line"); close(dir "/" base "-" NR ".line") }'
done
for f in "$shared"/cryptofeed/*.ws.1.0; do
  awk -v dir="$c" -v base="$(basename "$f")" 'NR>1 && NR<=60 { sub(/^[0-9.]+: /, "");
      print > (dir "/" base "-" NR ".json"); close(dir "/" base "-" NR ".json") }' "$f"
done
c=$(corpus config)
cp config/*.yaml "$c"/
jdir="$work/journal-seed"
if [ ! -d "$jdir/journal" ]; then
  "${KEEL_BIN:-build/bin/keel}" run --config config/paper-btcusdt-grid.yaml --data-dir "$jdir" --quiet \
      --stop-after 20000 >/dev/null 2>&1
fi
"$build/tests/fuzz/keel_fuzz_seeds" "$jdir/journal" "$(corpus journal_decode)" "$(corpus snapshot)" \
    300 "$(corpus apply)" >/dev/null
# fuzz_apply's past findings (committed reproducers, each now a regression input).
cp tests/fuzz/corpus/apply/* "$(corpus apply)"/
# The Binance connector's decoders: the JSON examples of reference/binance-spot.md (committed,
# one message a file) and the recorded REST bodies (depth snapshots: no connector decoder takes
# them, so they only seed large well-formed JSON of another shape).
c=$(corpus binance_decode)
cp tests/fuzz/corpus/binance/* "$c"/
awk -v dir="$c" '{ sub(/^[^ ]+ -> [0-9.]+: /, ""); f = dir "/rest-" NR ".json"
    if (length($0) > 0) { print > f; close(f) } }' "$shared"/cryptofeed/BINANCE.http.0.0

status=0
for t in ${FUZZ_TARGETS:-market_decode journal_decode config snapshot binance_decode apply}; do
  echo "fuzz_$t: ${seconds}s"
  if ! (cd "$work" && "../tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
          -max_len=70000 -print_final_stats=1 "corpus/$t" > "fuzz_$t.log" 2>&1); then
    echo "fuzz_$t FAILED (log: $work/fuzz_$t.log)"; tail -30 "$work/fuzz_$t.log"; status=1
  else
    grep -E "^Done |stat::number_of_executed_units|stat::peak_rss_mb" "$work/fuzz_$t.log" |
        tr '\n' ' '; echo
  fi
done
exit $status
