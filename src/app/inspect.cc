// keel inspect / export / verify: read the journal only; no exchange is needed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "app.h"
#include "keel/engine/config.h"
#include "keel/journal/export.h"
#include "keel/journal/journal.h"
#include "keel/model/snapshot.h"
#include "keel/strategy/registry.h"
#include "keel/strategy/uptime.h"

namespace keel::app {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

struct SlotView {
  std::string label, price, side, state, cid, qty, filled;
};

// What the task's strategy calls a slot (registry.h StrategyInfo::slot_label): "bid", "L2-ask",
// a grid level's price; the key itself for a strategy this keel does not know.
std::string slot_label(const model::TaskState& t, int64_t key) {
  const strategy::StrategyInfo* info = strategy::find_strategy(t.config.strategy);
  if (info == nullptr || info->slot_label == nullptr) return std::to_string(key);
  return info->slot_label(key, t.instrument);
}

// What inspect shows of a slot: its current order if it has one, else its level and claim.
SlotView view_of(const model::TaskState& t, const model::Slot& s) {
  const Instrument& ins = t.instrument;
  SlotView v;
  v.label = slot_label(t, s.key);
  const model::SlotState st = t.slot_state(s);
  v.state = model::slot_state_name(st);
  const model::Order* o = t.current_order(s);
  if (o != nullptr && o->working()) {
    v.price = ins.format_price(o->price_ticks);
    v.side = side_name(o->side);
    v.cid = o->client_order_id;
    v.qty = ins.format_qty(o->qty_lots);
    v.filled = ins.format_qty(o->filled_lots);
  } else {
    v.price = "-";  // no order
    v.side = "-";
    v.qty = format_fixed(s.claim_e8, kScaleE8, kScaleE8);
    v.filled = v.qty;
  }
  return v;
}

std::string quote_amount(int64_t e8) { return format_fixed(e8, kScaleE8, kScaleE8); }

Result<model::State> fold_journal(const Target& target) {
  auto j = open_target_journal(target, /*read_only=*/true);
  if (!j.ok()) return j.status();
  return model::fold_journal(**j);
}

std::string journal_dir(const Target& target, Status& s) {
  auto cfg = load_target(target, false);
  if (!cfg.ok()) {
    s = cfg.status();
    return {};
  }
  return (std::filesystem::path(cfg->data_dir) / "journal").string();
}

}  // namespace

Result<std::unique_ptr<journal::Journal>> open_target_journal(const Target& target,
                                                              bool read_only) {
  auto cfg = load_target(target, /*check_data_files=*/false);
  if (!cfg.ok()) return cfg.status();
  const std::string dir = (std::filesystem::path(cfg->data_dir) / "journal").string();
  if (!std::filesystem::exists(dir)) {
    return Status::NotFound("no journal at " + dir + " (has `keel run --config " +
                            target.config_path + "` run yet?)");
  }
  journal::Journal::Options o;
  o.create_if_missing = false;
  o.read_only = read_only;
  return journal::Journal::open(dir, o);
}

std::string inspect_json(const model::State& state) {
  std::ostringstream o;
  o << "{\"tasks\":[";
  bool first_task = true;
  for (const auto& [id, t] : state.tasks) {
    o << (first_task ? "" : ",") << "{\"id\":" << quoted(id)
      << ",\"symbol\":" << quoted(t.instrument.symbol) << ",\"account\":" << quoted(t.config.account) << ",\"slots\":[";
    first_task = false;
    bool first_slot = true;
    for (const auto& [key, slot] : t.slots) {
      const SlotView v = view_of(t, slot);
      o << (first_slot ? "" : ",") << "{\"slot\":" << quoted(v.label)
        << ",\"price\":" << quoted(v.price)
        << ",\"side\":" << quoted(v.side) << ",\"state\":" << quoted(v.state)
        << ",\"client_order_id\":" << quoted(v.cid) << ",\"qty\":" << quoted(v.qty)
        << ",\"filled_qty\":" << quoted(v.filled) << "}";
      first_slot = false;
    }
    o << "],\"strays\":[";
    bool first_stray = true;
    for (const model::Order* s : t.strays()) {
      o << (first_stray ? "" : ",") << "{\"client_order_id\":" << quoted(s->client_order_id)
        << ",\"side\":" << quoted(side_name(s->side))
        << ",\"price\":" << quoted(t.instrument.format_price(s->price_ticks))
        << ",\"qty\":" << quoted(t.instrument.format_qty(s->qty_lots))
        << ",\"filled_qty\":" << quoted(t.instrument.format_qty(s->filled_lots)) << "}";
      first_stray = false;
    }
    o << "],\"inventory\":" << quoted(quote_amount(t.position.base_e8))
      << ",\"inventory_low\":" << quoted(quote_amount(t.position_low_e8))
      << ",\"inventory_high\":" << quoted(quote_amount(t.position_high_e8))
      << ",\"position_cost\":" << quoted(quote_amount(t.position.cost_e8))
      << ",\"mark_price\":" << quoted(quote_amount(t.mark_mid_e8()))
      << ",\"unrealized_pnl\":" << quoted(quote_amount(t.unrealized_pnl_e8()))
      << ",\"fills\":" << (t.buys.fills + t.sells.fills)
      << ",\"realized_pnl\":" << quoted(quote_amount(t.realized_pnl_e8))
      << ",\"spread_capture\":" << quoted(quote_amount(t.spread_capture_e8))
      << ",\"inventory_pnl\":" << quoted(quote_amount(t.inventory_pnl_e8()))
      << ",\"fees\":" << quoted(quote_amount(t.fees_e8)) << ",\"commissions\":{";
    bool first_fee = true;
    for (const auto& [asset, fee] : t.commissions) {
      o << (first_fee ? "" : ",") << quoted(asset) << ":" << quoted(quote_amount(fee));
      first_fee = false;
    }
    o << "},\"unresolved\":" << t.unresolved() << ",\"late_executions\":" << t.late_executions
      << ",\"adopted\":" << t.adopted << ",\"retired\":" << (t.retired ? "true" : "false")
      << ",\"halted\":" << quoted(t.halted)
      << ",\"guard\":" << quoted(journal::guard_state_name(t.guard))
      << ",\"guard_reason\":" << quoted(t.guard_reason)
      << ",\"guard_changes\":" << t.guard_changes << "}";
  }
  // "account": the default (or only) account with the journal's epochs, as before accounts;
  // "accounts": every account by id.
  // "trade_watermark" / "scan_watermark": the account's main symbol's (its baseline's), as
  // before symbols were tracked; "symbols": every symbol's marks.
  auto account_fields = [&](const model::AccountState& a) {
    const model::SymbolMarks& main = a.marks(a.main_symbol());
    o << "\"baseline\":" << (a.has_baseline ? "true" : "false")
      << ",\"trade_watermark\":" << main.trade_watermark
      << ",\"scan_watermark\":" << main.scan_watermark << ",\"symbols\":{";
    bool first_symbol = true;
    for (const auto& [symbol, m] : a.symbols) {
      o << (first_symbol ? "" : ",") << quoted(symbol) << ":{\"baseline\":"
        << (m.baselined ? "true" : "false") << ",\"trade_watermark\":" << m.trade_watermark
        << ",\"scan_watermark\":" << m.scan_watermark
        << ",\"max_order_id\":" << m.max_order_id << "}";
      first_symbol = false;
    }
    o << "},\"foreign_fills\":" << a.foreign_fills
      << ",\"balance_changes\":" << a.balance_changes << ",\"expected_balances\":{";
    bool first_asset = true;
    for (const auto& [asset, e8] : a.baseline_e8) {
      o << (first_asset ? "" : ",") << quoted(asset) << ":" << quoted(quote_amount(a.expected_e8(asset)));
      first_asset = false;
    }
    o << "}";
  };
  o << "],\"account\":{\"epochs\":[";
  for (size_t i = 0; i < state.epochs.size(); ++i) o << (i ? "," : "") << quoted(state.epochs[i]);
  o << "],";
  account_fields(state.accounts.count(journal::kDefaultAccount) != 0 || state.accounts.empty()
                     ? state.account(journal::kDefaultAccount)
                     : state.accounts.begin()->second);
  o << "},\"accounts\":{";
  bool first_account = true;
  for (const auto& [id, a] : state.accounts) {
    o << (first_account ? "" : ",") << quoted(id) << ":{";
    account_fields(a);
    o << "}";
    first_account = false;
  }
  o << "},\"journal\":{\"records\":" << state.records << ",\"last_seq\":" << state.last_seq
    << "},\"recording_ended\":" << (state.recording_ended ? "true" : "false") << "}";
  return o.str();
}

void print_inspect_tables(const model::State& state, std::ostream& out, bool all) {
  for (const auto& [id, t] : state.tasks) {
    out << "task " << id << "  " << t.instrument.symbol << "  account " << t.config.account
        << "  strategy " << t.config.strategy
        << "  {" << t.config.params_yaml << "}\n";
    out << "  " << std::left << std::setw(16) << "slot" << std::setw(16) << "price"
        << std::setw(6) << "side"
        << std::setw(9) << "state" << std::setw(22) << "client_order_id" << std::setw(13)
        << "qty" << "filled_qty\n";
    size_t hidden = 0;
    for (const auto& [key, slot] : t.slots) {
      // The slots that matter: an order working, or a position held (FILLED); a FREE slot
      // holding nothing only with --all.
      if (!all && t.slot_state(slot) == model::SlotState::kFree && slot.claim_e8 == 0) {
        ++hidden;
        continue;
      }
      const SlotView v = view_of(t, slot);
      out << "  " << std::setw(16) << v.label << std::setw(16) << v.price << std::setw(6)
          << v.side << std::setw(9)
          << v.state << std::setw(22) << (v.cid.empty() ? "-" : v.cid) << std::setw(13) << v.qty
          << v.filled << "\n";
    }
    if (hidden > 0) out << "  (" << hidden << " free slots not shown: --all lists every slot)\n";
    for (const model::Order* s : t.strays()) {
      out << "  stray " << side_name(s->side) << " " << t.instrument.format_price(s->price_ticks)
          << " " << s->client_order_id << " (not its slot's current order: being cancelled)\n";
    }
    out << "  inventory " << quote_amount(t.position.base_e8) << " "
        << t.instrument.base_asset << " (" << quote_amount(t.position_low_e8) << " .. "
        << quote_amount(t.position_high_e8) << ")   fills " << (t.buys.fills + t.sells.fills)
        << "   realised PnL " << quote_amount(t.realized_pnl_e8) << " "
        << t.instrument.quote_asset << "   unrealised PnL "
        << (t.has_mark() ? quote_amount(t.unrealized_pnl_e8()) + " " + t.instrument.quote_asset +
                               " at mid " + format_fixed_trim(t.mark_mid_e8(), kScaleE8)
                         : std::string("- (no decision yet)"))
        << "   fees " << quote_amount(t.fees_e8) << " "
        << t.instrument.quote_asset << "   PnL split: spread " << quote_amount(t.spread_capture_e8)
        << ", inventory " << quote_amount(t.inventory_pnl_e8()) << (t.retired ? "   RETIRED" : "")
        << (t.halted.empty() ? "" : "   HALTED: " + t.halted)
        << (t.guard_changes == 0 ? std::string()
                                 : std::string("   risk guard ") +
                                       journal::guard_state_name(t.guard) +
                                       (t.guard_reason.empty() ? "" : ": " + t.guard_reason))
        << "\n";
  }
  out << "journal epoch " << (state.epochs.empty() ? "-" : state.epochs.back())
      << (state.epochs.size() > 1 ? " (" + std::to_string(state.epochs.size()) + " epochs)" : "")
      << "\n";
  for (const auto& [id, a] : state.accounts) {
    out << "account " << id << ": R4 baseline " << (a.has_baseline ? "taken" : "not yet") << ", "
        << a.foreign_fills << " foreign fills, " << a.balance_changes << " balance changes\n";
  }
  out << "journal: " << state.records << " records, last seq " << state.last_seq
      << (state.recording_ended ? ", recording ended" : "") << "\n";
}

Result<engine::Config> load_target(const Target& target, bool check_data_files) {
  auto cfg = engine::load_config(target.config_path, check_data_files);
  if (cfg.ok() && !target.data_dir.empty()) cfg->data_dir = target.data_dir;
  return cfg;
}

// Each task's quoting uptime (strategy/uptime.h), from a fold of the whole journal: a bid and
// an ask within 10 bps of the mark, per UTC hour, against the 30-minute target.
Status print_uptime(const Target& target, std::ostream& out) {
  auto j = open_target_journal(target, /*read_only=*/true);
  if (!j.ok()) return j.status();
  model::State state;
  std::map<std::string, strategy::UptimeMeter> meters;
  KEEL_RETURN_IF_ERROR((*j)->for_each(1, [&](const journal::Record& r) {
    model::apply(state, r);
    auto t = state.tasks.find(r.task_id);
    if (t != state.tasks.end()) meters[r.task_id].step(t->second, r.ts_exchange_ns);
    return true;
  }));
  for (const auto& [id, m] : meters) {
    const int64_t observed_s = m.observed_ns() / 1'000'000'000;
    const int64_t quoted_s = m.quoted_ns() / 1'000'000'000;
    out << "uptime " << id << ": bid and ask within 10 bps of the mid " << quoted_s << " s of "
        << observed_s << " s (" << (observed_s > 0 ? 100 * quoted_s / observed_s : 0)
        << "%); hours at the 30-minute target " << m.hours_on_target() << " of "
        << m.hours().size() << "\n";
  }
  return Status::Ok();
}

int inspect_command(const Target& target, bool json, bool all) {
  auto state = fold_journal(target);
  if (!state.ok()) {
    std::cerr << "keel inspect: " << state.status().ToString() << "\n";
    return state.status().code() == Code::kCorruption ? 2 : 1;
  }
  if (json) {
    std::cout << inspect_json(*state) << "\n";
    return 0;
  }
  print_inspect_tables(*state, std::cout, all);
  if (Status s = print_uptime(target, std::cout); !s.ok()) {
    std::cerr << "keel inspect: uptime: " << s.ToString() << "\n";
  }
  return 0;
}

int export_command(const Target& target, const std::string& format, const std::string& out_path) {
  Status s;
  const std::string dir = journal_dir(target, s);
  if (!s.ok()) {
    std::cerr << "keel export: " << s.ToString() << "\n";
    return 1;
  }
  std::ofstream out(out_path, std::ios::trunc);
  if (!out) {
    std::cerr << "keel export: cannot write --out " << out_path << "\n";
    return 1;
  }
  uint64_t rows = 0;
  const auto fmt = format == "csv" ? journal::ExportFormat::kCsv : journal::ExportFormat::kJsonl;
  s = journal::export_journal(dir, fmt, out, &rows);
  out.close();
  if (!s.ok() || !out) {
    std::cerr << "keel export: " << (s.ok() ? "write to " + out_path + " failed" : s.ToString())
              << "\n";
    return s.code() == Code::kCorruption ? 2 : 1;
  }
  std::cerr << "keel export: " << rows << " records written to " << out_path << " (" << format
            << ")\n";
  return 0;
}

int verify_command(const Target& target) {
  Status s;
  const std::string dir = journal_dir(target, s);
  if (!s.ok()) {
    std::cerr << "keel verify: " << s.ToString() << "\n";
    return 1;
  }
  auto report = journal::Journal::verify(dir);
  if (!report.ok()) {
    std::cerr << "keel verify: " << report.status().ToString() << "\n";
    return 1;
  }
  if (report->first_bad_seq != 0) {
    std::cout << "journal " << dir << ": BROKEN at seq " << report->first_bad_seq << ": "
              << report->problem << "\n";
    return 1;
  }
  std::cout << "journal " << dir << ": intact, " << report->records << " records, seq 1.."
            << report->last_seq << ", hash chain and checksums verified"
            << (report->torn_tail ? " (a torn last record is ignored)" : "") << "\n";
  return 0;
}

}  // namespace keel::app
