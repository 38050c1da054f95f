// What `keel run` prints, shared by the embedded and the live venue.
#include "run_common.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace keel::app {

int64_t percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

void print_summary(const engine::Config& cfg, const engine::Engine& eng, uint64_t position,
                   uint64_t events_this_run, int64_t elapsed_ns, const journal::Journal& j) {
  const model::State& st = eng.state();
  const auto& stats = eng.stats();
  auto amt = [](int64_t e8) { return format_fixed(e8, kScaleE8, kScaleE8); };
  std::printf("\nkeel run summary  (%s, data %s)\n", cfg.path.c_str(), cfg.data_dir.c_str());
  const bool live = cfg.exchange_kind != "sim";
  std::printf("  %-22s %llu %s%s; this run %llu in %.2f s (%.0f events/s)\n",
              "events", static_cast<unsigned long long>(position),
              live ? "market events received" : "recorded events replayed",
              st.recording_ended ? " (recording ended)" : "",
              static_cast<unsigned long long>(events_this_run), elapsed_ns / 1e9,
              elapsed_ns > 0 ? events_this_run * 1e9 / elapsed_ns : 0.0);
  for (const auto& entry : st.tasks) {
    const std::string& id = entry.first;
    const model::TaskState& t = entry.second;
    const engine::TaskMode& m = eng.mode(id);
    const Instrument& ins = t.instrument;
    const std::string account =
        cfg.accounts.size() > 1 ? ", account " + t.config.account : std::string();
    std::printf("  task %s (%s %s%s) %s\n", id.c_str(), t.config.strategy.c_str(),
                t.instrument.symbol.c_str(), account.c_str(),
                t.retired ? "retired"
                          : m.quoting ? "quoting" : ("NOT QUOTING: " + m.reason).c_str());
    std::printf("    %-20s place %llu  cancel %llu  amend %llu  (rejected %llu)\n", "intents",
                (unsigned long long)t.intents_place, (unsigned long long)t.intents_cancel,
                (unsigned long long)t.intents_amend, (unsigned long long)t.rejects);
    std::printf("    %-20s buy %llu (%s %s)  sell %llu (%s %s)\n", "fills",
                (unsigned long long)t.buys.fills, ins.format_qty(t.buys.qty_lots).c_str(),
                ins.base_asset.c_str(), (unsigned long long)t.sells.fills,
                ins.format_qty(t.sells.qty_lots).c_str(), ins.base_asset.c_str());
    std::printf("    %-20s %s %s  (cost %s %s; ranged %s .. %s over the task's fills)\n",
                "inventory", amt(t.position.base_e8).c_str(), ins.base_asset.c_str(),
                amt(t.position.cost_e8).c_str(), ins.quote_asset.c_str(),
                amt(t.position_low_e8).c_str(), amt(t.position_high_e8).c_str());
    if (t.has_mark()) {
      std::printf("    %-20s %s %s at mid %s (the book of the last decision)\n", "unrealised PnL",
                  amt(t.unrealized_pnl_e8()).c_str(), ins.quote_asset.c_str(),
                  format_fixed_trim(t.mark_mid_e8(), kScaleE8).c_str());
    }
    std::string other_fees;  // commissions in assets that are not priced in quote (BNB)
    for (const auto& [asset, fee] : t.commissions) {
      if (asset != ins.base_asset && asset != ins.quote_asset && fee != 0) {
        other_fees += "  + " + amt(fee) + " " + asset;
      }
    }
    std::printf("    %-20s %s %s (gross)  fees %s %s%s  net %s %s\n", "realised PnL",
                amt(t.realized_pnl_e8).c_str(), ins.quote_asset.c_str(), amt(t.fees_e8).c_str(),
                ins.quote_asset.c_str(), other_fees.c_str(),
                amt(t.realized_pnl_e8 - t.fees_e8).c_str(), ins.quote_asset.c_str());
    std::printf("    %-20s spread captured %s  inventory %s  fees -%s  funding 0 (spot)  %s\n",
                "PnL split (seed 004)", amt(t.spread_capture_e8).c_str(),
                amt(t.inventory_pnl_e8()).c_str(), amt(t.fees_e8).c_str(),
                ins.quote_asset.c_str());
    const size_t i = static_cast<size_t>(
        std::find_if(cfg.tasks.begin(), cfg.tasks.end(),
                     [&](const engine::TaskConfig& c) { return c.id == id; }) -
        cfg.tasks.begin());
    if (t.guard_changes > 0 || (i < cfg.tasks.size() && cfg.tasks[i].risk.any())) {
      // Exchange time in each state, the current one up to the last market event.
      std::array<int64_t, 3> spent = t.guard_time_ns;
      const int64_t now = eng.view(t.instrument.symbol).ts_exchange_ns;
      if (t.guard_since_ns > 0 && now > t.guard_since_ns) {
        spent[static_cast<size_t>(t.guard)] += now - t.guard_since_ns;
      }
      std::printf("    %-20s %s%s%s\n", "risk guard", journal::guard_state_name(t.guard),
                  t.guard_reason.empty() ? "" : ": ", t.guard_reason.c_str());
      std::printf("    %-20s %llu changes; SAFE %.1f s, CAUTION %.1f s, HALT %.1f s of exchange "
                  "time since the first change; %llu decisions' places held back this run\n",
                  "", (unsigned long long)t.guard_changes, spent[0] / 1e9, spent[1] / 1e9,
                  spent[2] / 1e9, (unsigned long long)stats.risk_dropped);
    }
  }
  if (stats.throttled_decisions > 0) {
    std::printf("  %-22s %llu task decisions cut short by their request budget "
                "(tasks[].max_intents_per_second, intent_burst): the rest waited for a later "
                "event\n",
                "throttled", (unsigned long long)stats.throttled_decisions);
  }
  // The account order-count limits (risk/risk.h "Request budgets"): per account that bound.
  for (size_t a = 0; a < stats.order_limited_by_account.size() && a < cfg.accounts.size(); ++a) {
    if (stats.order_limited_by_account[a] == 0) continue;
    const engine::AccountConfig& acct = cfg.accounts[a];
    std::printf("  %-22s account %s: %llu task decisions' new orders held back by its order "
                "limit (%lld per 10 s, %lld per day: max_orders_per_10s, max_orders_per_day); "
                "they waited for a later event\n",
                "order limit", acct.id.c_str(),
                (unsigned long long)stats.order_limited_by_account[a],
                (long long)acct.orders.max_orders_per_10s, (long long)acct.orders.max_orders_per_day);
  }
  uint64_t foreign_fills = 0;
  for (const auto& [id, a] : st.accounts) foreign_fills += a.foreign_fills;
  if (stats.foreign_events + foreign_fills > 0) {
    std::printf("  %-22s %llu executionReports and %llu trades of orders that are not this "
                "journal's (another keel journal or a manual order on the account): never "
                "touched, the trades counted for R4\n",
                "foreign orders", (unsigned long long)stats.foreign_events,
                (unsigned long long)foreign_fills);
  }
  std::printf("  %-22s %llu requests with an unknown outcome this run (R1: each left PENDING "
              "until evidence settled it)\n",
              "unknown outcomes", static_cast<unsigned long long>(stats.unknown_outcomes));
  std::printf("  %-22s %llu records (last seq %llu); this run %llu records, %llu syncs\n",
              "journal", (unsigned long long)st.records, (unsigned long long)st.last_seq,
              (unsigned long long)j.stats().records, (unsigned long long)j.stats().syncs);
  std::printf("  %-22s p50 %.3f ms  p99 %.3f ms  (%zu synced intent batches this run)\n",
              "intent sync latency", percentile(stats.intent_sync_ns, 0.50) / 1e6,
              percentile(stats.intent_sync_ns, 0.99) / 1e6, stats.intent_sync_ns.size());
}

void report_recovery(const engine::RecoverySummary& r) {
  std::fprintf(stderr,
               "keel: reconciliation: %zu trades since the watermark, %zu fills recovered, %zu "
               "in-flight places accepted, %zu never received, %zu in doubt (R1), %zu orders "
               "closed, %zu cancels not effective, %zu orders adopted, %zu foreign fills%s\n",
               r.trades_seen, r.fills_recovered, r.accepted, r.not_found, r.in_doubt, r.canceled,
               r.cancels_not_effective, r.adopted, r.foreign_fills,
               r.baseline_taken ? "; R4 baseline taken" : "");
  if (!r.epoch_renewed.empty()) {
    std::fprintf(stderr, "keel: new client order id epoch: %s\n", r.epoch_renewed.c_str());
  }
  for (const std::string& p : r.problems) std::fprintf(stderr, "keel: recovery problem: %s\n", p.c_str());
  for (const std::string& h : r.halts) std::fprintf(stderr, "keel: HALTED %s\n", h.c_str());
}

int fail_stop(engine::Engine& eng, const Status& s) {
  std::fprintf(stderr, "keel: FAIL-STOP (W4): %s\nkeel: no new intents; cancelling open orders\n",
               s.ToString().c_str());
  const size_t n = eng.emergency_cancel_all();
  std::fprintf(stderr, "keel: %zu orders cancelled; exiting\n", n);
  return 2;
}

int retire_task(engine::Engine& eng, const std::string& task_id, int64_t deadline_ms) {
  if (Status s = eng.load_and_start({task_id}); !s.ok()) {
    std::fprintf(stderr, "keel retire: %s\n", s.ToString().c_str());
    return s.code() == Code::kFailStop ? fail_stop(eng, s) : 1;
  }
  Status s = eng.retire(task_id, deadline_ms);
  if (s.code() == Code::kFailStop) return fail_stop(eng, s);
  if (!s.ok()) {
    std::fprintf(stderr, "keel retire: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "keel retire: task '%s' retired: every order closed and journaled\n",
               task_id.c_str());
  return 0;
}

}  // namespace keel::app
