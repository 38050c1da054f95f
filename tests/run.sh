#!/usr/bin/env bash
# Every test keel has, as CI runs them (after ./setup.sh built build/):
#  1. build-asan (clang, AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer; warnings are
#     enforced by the gcc build, so not fatal here): the unit tests of the core, the Binance
#     connector and keel sim under the sanitizers, then every fuzz target for FUZZ_SECONDS
#     (default 60) each;
#  2. the whole suite in build/: unit, integration and the bounded crash campaign.
# KEEL_TESTS=quick skips step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${KEEL_TESTS:-full}" != quick ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DKEEL_SANITIZE=ON -DKEEL_FUZZ=ON -DKEEL_WERROR=OFF >/dev/null
  # The unit tests of the core, of the Binance connector (its loopback, stream and TLS suites
  # talk to a venue on 127.0.0.1) and of keel sim, and the fuzzers.
  asan_tests=(core_fixed_test market_decode_test market_book_test exchange_sim_test
              exchange_sim_persist_test exchange_sim_replay_test exchange_signing_test
              journal_codec_test journal_store_test journal_power_loss_test journal_disk_full_test
              engine_disk_full_test model_apply_test model_snapshot_bounds_test
              strategy_grid_test recovery_reconcile_test engine_replay_test
              exchange_binance_decode_test exchange_binance_rules_test exchange_binance_stream_test
              exchange_binance_loopback_test exchange_binance_tls_test
              simserver_params_test simserver_rest_test simserver_ws_test simserver_faults_test
              exchange_sim_commission_test simserver_late_test simserver_account_test
              engine_config_test engine_credentials_test engine_venue_faults_test
              engine_format1_upgrade_test
              engine_format_fixture_test risk_guard_test engine_risk_test
              engine_attack_test strategy_top_of_book_test strategy_avellaneda_stoikov_test
              strategy_mode_flip_test strategy_tiered_test engine_amend_test engine_multi_test
              market_capture_merge_test exchange_sim_multi_test simserver_multi_test
              engine_multi_attack_test)
  cmake --build build-asan -j "$(nproc)" --target "${asan_tests[@]}" fuzz_market_decode \
        fuzz_journal_decode fuzz_config fuzz_snapshot fuzz_binance_decode fuzz_apply keel_fuzz_seeds
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build-asan -L unit -E "NOT_BUILT" --output-on-failure -j 2
  tests/fuzz/run.sh build-asan "${FUZZ_SECONDS:-60}"
fi
ctest --test-dir build --output-on-failure -j 2
