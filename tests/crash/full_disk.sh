#!/bin/sh
# W4 end to end (issue 4 item 4): `keel run` on the default config with the journal's disk
# filling up after BYTES (KEEL_DISK_FULL_AFTER_BYTES, keel/journal/fault_fs.h) must stop new
# intents, cancel its working orders, say that the disk is full and exit 2; the journal must
# verify intact, and a run with space again must recover and finish the recording.
# Usage: full_disk.sh KEEL CONFIG WORKDIR [BYTES]
set -u
keel=$1 config=$2 work=$3 bytes=${4:-300000}
rm -rf "$work" && mkdir -p "$work"
KEEL_DISK_FULL_AFTER_BYTES=$bytes "$keel" run --config "$config" --data-dir "$work/d" --quiet \
  >"$work/out" 2>"$work/err"
rc=$?
cat "$work/err"
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" -eq 2 ] || fail "exit $rc, expected 2 (fail-stop)"
grep -q "disk full (no space left on device)" "$work/err" || fail "no 'disk full' message"
grep -q "orders cancelled" "$work/err" || fail "working orders were not cancelled"
"$keel" verify --config "$config" --data-dir "$work/d" || fail "journal not intact"
"$keel" run --config "$config" --data-dir "$work/d" --quiet >"$work/out2" 2>"$work/err2" ||
  fail "the run with space again failed: $(cat "$work/err2")"
grep -q "recording ended" "$work/out2" || fail "the run with space again did not finish"
echo "full disk: fail-stop exit 2, orders cancelled, journal intact, recovery finished"
