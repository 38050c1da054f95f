// keel crash campaign against `keel sim` as its own process (issues 4 and 9, DESIGN.md R1-R4):
// the market keeps moving and fills keep happening while the engine is dead.
//
// Usage: keel_sim_crash_campaign --keel BIN --data FILE [--data FILE] --workdir DIR
//          [--crashes N] [--failpoint-hits 1,2,3] [--speed X] [--run-max-ms MS]
//          [--down-max-ms MS] [--faults SPEC] [--commission-asset base|quote|ASSET:PRICE]
//          [--shared-account] [--restore-every N] [--reconcile-every-ms MS] [--power-loss]
//          [--seed S] [--report FILE]
//
// One `keel sim` per round (a fresh state directory; a round ends when the recording does; its
// --faults SPEC and --commission-asset are the runner's) and `keel run` (exchange.kind binance
// over loopback) against it, in lives. A life starts the engine and waits for its "reconciled
// in ... task grid1 quoting" line (time-to-safe: spawn to that line; a restart with a place in
// doubt waits there until the place's recvWindow has passed, ~6 s). When the life follows a
// crash, the recovery is checked: the campaign pauses the market (POST /sim/v1/pause), waits
// until every journal is quiet (two `keel inspect --json` 150 ms apart with the same last
// sequence and no PENDING slot), compares each journal (`keel inspect --json`, `keel export`)
// with GET /sim/v1/truth and resumes the market. A journal's orders are the exchange orders
// whose client id starts with `k2<e>-` for an epoch e of its inspect `account.epochs` (a
// journal restored from an older copy takes a new epoch: it holds several). Per journal:
//   - no PENDING slot; no task halted (inspect's `halted`: an R4 mismatch or an impossible fact);
//   - a LOCKED slot <-> an open order with that client id and executed qty; a FILLED slot that
//     names its order <-> a FILLED order with that executed qty;
//   - every open order of the journal is the order of exactly one LOCKED slot (so at most one
//     live order per slot), or a stray of inspect's task `strays` that the journal is
//     cancelling (a CancelIntent journaled for it: a late execution of a place given up, an
//     adopted order no slot wants); every exchange order of the journal is a journaled
//     PlaceIntent or OrderAdopted, and no client id is used by two exchange orders (W5);
//   - the journal's fills are exactly the exchange's trades of its orders (trade ids: none
//     lost, none journaled twice); every trade of the account up to the journal's trade-history
//     watermark (inspect's account.scan_watermark, above its R4 baseline) is journaled, as
//     OrderFilled if the order is the journal's, else as ForeignFill; fills and inventory agree
//     with inspect (inventory = buys - sells - commissions charged in the base asset);
//   - keel's own R4: inspect's account.expected_balances equals the exchange's free + locked of
//     each asset.
// Over the account: every order with keel's prefix belongs to exactly one journal; no trade is
// journaled as OrderFilled by two journals; R4: each asset's balance change equals the journaled
// fills of all journals minus commissions, in the commission's asset; no request storm (truth
// cancelRequests: at most 3 cancels of one client id).
// With drops (--faults drop=P) or a shared account, a lost executionReport or another journal's
// fills are seen only by a reconciliation: the engines then reconcile every
// --reconcile-every-ms (default 1000; else 60000: a recovery must be right by itself), and a
// comparison that disagrees is taken again after one more reconciliation period (twice more at
// most; the market is still paused). A disagreement that survives is a divergence; findings no
// reconciliation can heal (a trade below the watermark lost, a trade journaled twice, a halt, a
// storm, a reused client id) are divergences at once. The table counts the checks that needed
// the extra period ("caught up").
// Then the life is crashed: a failpoint life (KEEL_FAILPOINT=name:hit, every failpoint of
// keel/core/failpoint.h at every --failpoint-hits) dies where the failpoint is (possibly during
// start-up or reconciliation, before it is safe); a random life is killed after a uniform delay
// in [0, run-max-ms]. With --power-loss the engine runs with KEEL_POWER_LOSS=1 (its journal on
// the power-loss file system: every write not synced is discarded at the crash) and random
// kills are SIGUSR2 ("power cut now") instead of SIGKILL. The engine then stays dead for a
// uniform [0, down-max-ms] while the market moves. Lives continue until --crashes crashes.
// Every end of an engine is judged: a SIGKILL the campaign sent (or SIGUSR2, power loss), or a
// failpoint's SIGKILL (its "keel: failpoint ... SIGKILL" line) is a crash; anything else (an
// exit, SIGABRT from an assert, a SIGKILL nobody asked for) is a divergence.
// --shared-account: a second `keel run` (its own data directory engine2, task grid1 with
// price_interval 7, so a grid of other levels; same keel sim account and API key) runs beside
// the first, independently: it is killed after a uniform [0, 3 x run-max-ms] of each life (one
// life in three with a random failpoint), stays dead [0, down-max-ms] and is restarted, while
// the first engine goes through its own lives. At each check it must be alive and safe (it is
// restarted if dead; a life armed with a failpoint is killed first, a random crash), and both
// journals are judged. Its crashes are counted apart ("second engine") and do not count
// towards --crashes.
// --restore-every N: after every N-th crash of the first engine in a round, its data directory
// is copied aside (the engine is dead); after 1..max(1, N/2) further crashes the copy replaces
// the data directory before the restart (a backup restored: the journal is older than the
// exchange). The restart must adopt the orders of its epochs the copy lacks (OrderAdopted) and
// take a new epoch; the check judges it as usual.
// Output: a table of crashes per crash point (and failpoint lives whose point was not reached),
// recoveries checked, divergences (must be 0), time-to-safe p50/p99, and what the new faults
// did: late executions (truth late.executed / expired), cancels of one order at most, orders
// adopted, restores, foreign fills; exit 0 iff no divergence.
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/crash_tally.h"
#include "../support/proc.h"
#include "keel/core/failpoint.h"

namespace fs = std::filesystem;
using namespace keel::testsupport;

namespace {

// keel sim's default account.
const std::map<std::string, int64_t> kInitialE8 = {{"USDT", 10'000LL * 100'000'000},
                                                   {"BTC", 100'000'000}};
constexpr const char* kBaseAsset = "BTC";
constexpr int kMaxCancelsPerOrder = 3;  // issue 9: more is a request storm

struct Args {
  std::string keel, workdir, speed = "4", faults, report, commission_asset;
  std::vector<std::string> data;
  int crashes = 200;
  std::vector<int> failpoint_hits{1, 2, 3};
  int run_max_ms = 1500, down_max_ms = 1500;
  int reconcile_every_ms = 0;  // 0: 1000 with drops or a shared account, else 60000
  int restore_every = 0;       // 0: never
  int recv_window_ms = 0;      // 0: keel's default (exchange.recv_window_ms)
  bool power_loss = false, shared_account = false;
  uint64_t seed = 1;
  bool drops = false;  // derived: --faults has drop=P with P > 0

  // A comparison may wait for the engines' periodic reconciliation (drops, another journal).
  bool catch_up() const { return drops || shared_account; }
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
void sleep_ms(double ms) { std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms)); }

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// The value of `key=` in a fault spec as a probability (0 when absent).
double fault_probability(const std::string& spec, const std::string& key) {
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.rfind(key + "=", 0) == 0) return std::atof(item.c_str() + key.size() + 1);
  }
  return 0;
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--power-loss") {
      a.power_loss = true;
      continue;
    }
    if (k == "--shared-account") {
      a.shared_account = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--keel") a.keel = v;
    else if (k == "--data") a.data.push_back(v);
    else if (k == "--workdir") a.workdir = v;
    else if (k == "--crashes") a.crashes = std::atoi(v.c_str());
    else if (k == "--speed") a.speed = v;
    else if (k == "--run-max-ms") a.run_max_ms = std::atoi(v.c_str());
    else if (k == "--down-max-ms") a.down_max_ms = std::atoi(v.c_str());
    else if (k == "--faults") a.faults = v;
    else if (k == "--commission-asset") a.commission_asset = v;
    else if (k == "--restore-every") a.restore_every = std::atoi(v.c_str());
    else if (k == "--reconcile-every-ms") a.reconcile_every_ms = std::atoi(v.c_str());
    else if (k == "--recv-window-ms") a.recv_window_ms = std::atoi(v.c_str());
    else if (k == "--seed") a.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--report") a.report = v;
    else if (k == "--failpoint-hits") {
      a.failpoint_hits.clear();
      std::stringstream ss(v);
      for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) a.failpoint_hits.push_back(std::atoi(item.c_str()));
      }
    } else {
      return false;
    }
  }
  a.drops = fault_probability(a.faults, "drop") > 0;
  if (a.reconcile_every_ms == 0) a.reconcile_every_ms = a.catch_up() ? 1000 : 60'000;
  return !a.keel.empty() && !a.data.empty() && !a.workdir.empty() && a.crashes > 0 &&
         a.run_max_ms >= 0 && a.down_max_ms >= 0 && a.restore_every >= 0 &&
         a.reconcile_every_ms > 0 && a.recv_window_ms >= 0;
}

// ---- the engine process of one life -------------------------------------------------------

// `keel run` with its stderr read by a thread: every line goes to the round's log; the
// "reconciled in" line marks the instant the engine is safe; a failpoint's line says that a
// SIGKILL is the failpoint's.
class EngineProcess {
 public:
  EngineProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& log_path)
      : log_(log_path, std::ios::app) {
    int fds[2];
    if (pipe(fds) != 0) return;
    t_spawn_ = now_s();
    pid_ = spawn(argv, -1, fds[1], env);
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
  }
  ~EngineProcess() {
    if (!exited_) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (reader_.joinable()) reader_.join();
  }
  // Polls the child; true once it exited (status() then valid).
  bool poll() {
    if (exited_) return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = st;
    }
    return exited_;
  }
  void wait() {
    if (exited_) return;
    waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  // Waits for the exit and for the last line of its output (the failpoint's line).
  void finish() {
    wait();
    if (reader_.joinable()) reader_.join();
  }
  bool killed_by(int sig) const { return exited_ && WIFSIGNALED(status_) && WTERMSIG(status_) == sig; }
  int rc() const { return decode_status(status_); }
  void signal(int sig) {
    if (!exited_) signalled_ = sig;
    kill(pid_, sig);
  }
  int signalled() const { return signalled_; }  // the signal the campaign sent (0: none)
  bool failpoint_fired() const { return failpoint_fired_.load(); }
  double safe_at() const { return safe_at_.load(); }  // 0 until safe
  bool quoting() const { return quoting_.load(); }
  double t_spawn() const { return t_spawn_; }
  std::string safe_line() {
    std::lock_guard<std::mutex> lock(mu_);
    return safe_line_;
  }
  std::string tail() {
    std::lock_guard<std::mutex> lock(mu_);
    return tail_;
  }
  // How the process ended, for a divergence: "exited with 1", "killed by signal 6 (SIGABRT:
  // an assert or abort)".
  std::string how() const {
    if (!exited_) return "still running";
    if (WIFEXITED(status_)) return "exited with " + std::to_string(WEXITSTATUS(status_));
    const int sig = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
    std::string s = "killed by signal " + std::to_string(sig);
    if (sig == SIGABRT) s += " (SIGABRT: an assert or abort)";
    if (sig == SIGSEGV) s += " (SIGSEGV)";
    if (sig == SIGKILL) s += " (SIGKILL that neither the campaign nor a failpoint sent)";
    return s;
  }

 private:
  void read_lines(int fd) {
    FILE* in = fdopen(fd, "r");
    char line[4096];
    while (std::fgets(line, sizeof line, in) != nullptr) {
      const std::string s = line;
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_ << s;
        tail_ += s;
        if (tail_.size() > 4000) tail_.erase(0, tail_.size() - 4000);
        if (s.rfind("keel: failpoint ", 0) == 0 && s.find(": SIGKILL") != std::string::npos) {
          failpoint_fired_ = true;
        }
        if (safe_at_.load() == 0 && s.find("reconciled in") != std::string::npos) {
          safe_line_ = s;
          quoting_ = s.find("reconcile-only") == std::string::npos;
          safe_at_ = now_s();
        }
      }
    }
    log_.flush();
    std::fclose(in);
  }

  std::ofstream log_;
  pid_t pid_ = -1;
  double t_spawn_ = 0;
  bool exited_ = false;
  int status_ = 0;
  int signalled_ = 0;
  std::atomic<bool> failpoint_fired_{false};
  std::atomic<double> safe_at_{0};
  std::atomic<bool> quoting_{false};
  std::mutex mu_;
  std::string safe_line_, tail_;
  std::thread reader_;
};

// ---- the comparison with the exchange's truth ---------------------------------------------

// One engine's data directory and config (the first engine's, or the second's with
// --shared-account).
struct JournalRef {
  std::string label;  // "engine" or "engine2" (its directory under the round)
  std::string cfg, dir, log;
};

struct Inspect {
  bool ok = false;
  int64_t last_seq = -1;
  int pending = 0;
  std::string json;
};

struct Round {
  int index = 0;
  std::string dir;
  std::vector<JournalRef> journals;  // [0] the first engine, [1] the second (shared account)
  int port = 0;
  pid_t sim = -1;
  int crashes = 0;                 // crashes of the first engine in this round
  int copy_at = -1, restore_at = -1;  // --restore-every: the copy's crash number, the restore's
  std::set<std::string> reported;  // divergences already counted in this round (once each)
};

std::vector<std::string> keel_cmd(const Args& a, const JournalRef& j, const std::string& sub) {
  return {a.keel, sub, "--config", j.cfg, "--data-dir", j.dir};
}

Inspect inspect(const Args& a, const JournalRef& j) {
  Inspect out;
  int rc = 0;
  std::vector<std::string> argv = keel_cmd(a, j, "inspect");
  argv.push_back("--json");
  out.json = run_capture(argv, &rc);
  if (rc != 0 || out.json.empty()) return out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(out.json).get(doc) != simdjson::SUCCESS) return out;
  out.last_seq = int64_t(doc["journal"]["last_seq"]);
  for (auto t : doc["tasks"].get_array()) {
    for (auto s : t["slots"].get_array()) out.pending += str(s["state"]) == "PENDING";
  }
  out.ok = true;
  return out;
}

struct Fill {
  int64_t trade_id = 0;
  int64_t order_id = 0;
  bool buy = false;
  int64_t price_e8 = 0, qty_e8 = 0, commission_e8 = 0;
  std::string commission_asset, cid, task;
};

int64_t notional_e8(int64_t price_e8, int64_t qty_e8) {
  return static_cast<int64_t>(static_cast<__int128>(price_e8) * qty_e8 / 100'000'000);
}

// A fill's effect on the account's balances: base +-qty, quote -+notional, minus commission.
void add_fill(std::map<std::string, int64_t>& delta, const Fill& f, const std::string& quote) {
  delta[kBaseAsset] += f.buy ? f.qty_e8 : -f.qty_e8;
  const int64_t n = notional_e8(f.price_e8, f.qty_e8);
  delta[quote] += f.buy ? -n : n;
  delta[f.commission_asset] -= f.commission_e8;
}

// What one comparison found: `strict` cannot be healed by a later reconciliation (divergences
// at once); `lagging` may be a reconciliation behind (drops, another journal's fills).
struct Findings {
  std::vector<std::string> strict, lagging;
  std::string summary;  // what was compared, for the round's log
};

// The exchange's truth, parsed once per comparison.
struct Truth {
  struct Order {
    int64_t order_id = 0;
    std::string cid, status;
    int64_t executed_e8 = 0;
  };
  std::vector<Order> orders;
  std::map<int64_t, std::string> cid_of;       // orderId -> client id
  std::map<int64_t, Fill> trades;              // every trade of the account
  std::map<std::string, int64_t> balance;      // free + locked
  std::map<std::string, int64_t> cancels;      // client id -> cancel requests
  int64_t late_executed = 0, late_expired = 0;
};

bool parse_truth(const std::string& json, Truth& t) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(json).get(doc) != simdjson::SUCCESS) return false;
  for (auto o : doc["orders"].get_array()) {
    Truth::Order x{int64_t(o["orderId"]), str(o["clientOrderId"]), str(o["status"]),
                   e8(str(o["executedQty"]))};
    t.cid_of[x.order_id] = x.cid;
    t.orders.push_back(std::move(x));
  }
  for (auto tr : doc["trades"].get_array()) {
    Fill f{int64_t(tr["id"]), int64_t(tr["orderId"]), bool(tr["isBuyer"]),
           e8(str(tr["price"])), e8(str(tr["qty"])), e8(str(tr["commission"])),
           str(tr["commissionAsset"]), "", ""};
    f.cid = t.cid_of[f.order_id];
    t.trades[f.trade_id] = f;
  }
  for (auto b : doc["balances"].get_array()) {
    t.balance[str(b["asset"])] = e8(str(b["free"])) + e8(str(b["locked"]));
  }
  for (auto [cid, n] : doc["cancelRequests"].get_object()) t.cancels[std::string(cid)] = int64_t(n);
  t.late_executed = int64_t(doc["late"]["executed"]);
  t.late_expired = int64_t(doc["late"]["expired"]);
  return true;
}

bool keel_id(const std::string& cid) { return cid.rfind("k2", 0) == 0 || cid.rfind("k1-", 0) == 0; }

// One journal's records (keel export) and view (keel inspect --json).
struct JournalView {
  const JournalRef* ref = nullptr;
  std::vector<std::string> prefixes;  // "k2<epoch>-"
  std::set<std::string> placed, adopted, cancelling;  // PlaceIntent, OrderAdopted, CancelIntent
  std::map<int64_t, Fill> fills;                      // OrderFilled by trade id
  std::map<int64_t, std::string> foreign;             // ForeignFill trade id -> client id
  int64_t baseline_trade_id = -1;                      // the newest AccountBaseline's
  int64_t scan_watermark = 0;  // max last_trade_id of AccountBaseline and TradesScanned
  bool ours(const std::string& cid) const {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return cid.rfind(p, 0) == 0; });
  }
};

std::string jtag(const JournalRef& j) { return j.label + ": "; }

// Reads the journal's export into `v`; false (with a finding) when it cannot.
bool read_export(const Args& a, const Round& r, const JournalRef& j, JournalView& v,
                 Findings& out) {
  const std::string path = r.dir + "/" + j.label + "-export.jsonl";
  int rc = 0;
  std::vector<std::string> argv = keel_cmd(a, j, "export");
  argv.insert(argv.end(), {"--out", path});
  run_capture(argv, &rc);
  if (rc != 0) {
    out.strict.push_back(jtag(j) + "keel export failed (exit " + std::to_string(rc) + ")");
    return false;
  }
  simdjson::dom::parser ep;
  std::ifstream ex(path);
  for (std::string line; std::getline(ex, line);) {
    simdjson::dom::element rec;
    if (ep.parse(line).get(rec) != simdjson::SUCCESS) {
      out.strict.push_back(jtag(j) + "export: unparsable line");
      return false;
    }
    const std::string type = str(rec["type"]);
    if (type == "PlaceIntent") v.placed.insert(str(rec["client_order_id"]));
    else if (type == "OrderAdopted") v.adopted.insert(str(rec["client_order_id"]));
    else if (type == "CancelIntent") v.cancelling.insert(str(rec["client_order_id"]));
    else if (type == "AccountBaseline" || type == "TradesScanned") {
      const int64_t id = int64_t(rec["last_trade_id"]);
      if (type == "AccountBaseline") v.baseline_trade_id = id;
      v.scan_watermark = std::max(v.scan_watermark, id);
    }
    else if (type == "ForeignFill") {
      const int64_t id = int64_t(rec["trade_id"]);
      if (!v.foreign.emplace(id, str(rec["client_order_id"])).second) {
        out.strict.push_back(jtag(j) + "foreign trade " + std::to_string(id) + " journaled twice");
      }
    } else if (type == "OrderFilled") {
      Fill f{int64_t(rec["trade_id"]), int64_t(rec["order_id"]), str(rec["side"]) == "BUY",
             e8(str(rec["price"])), e8(str(rec["qty"])), e8(str(rec["commission"])),
             str(rec["commission_asset"]), str(rec["client_order_id"]), str(rec["task"])};
      if (!v.fills.emplace(f.trade_id, f).second) {
        out.strict.push_back(jtag(j) + "trade " + std::to_string(f.trade_id) +
                             " journaled twice (R3)");
      }
    }
  }
  return true;
}

// Judges one journal against the truth.
void judge_journal(const JournalView& v, simdjson::dom::element k, const Truth& t,
                   Findings& out) {
  const std::string tag = jtag(*v.ref);
  auto lag = [&](const std::string& s) { out.lagging.push_back(tag + s); };
  auto strict = [&](const std::string& s) { out.strict.push_back(tag + s); };
  // The exchange's orders and trades of this journal.
  std::map<std::string, const Truth::Order*> orders;
  for (const Truth::Order& o : t.orders) {
    if (!v.ours(o.cid)) continue;
    auto [it, fresh] = orders.emplace(o.cid, &o);
    if (!fresh) {
      strict("W5: client order id " + o.cid + " is used by two exchange orders (" +
             std::to_string(it->second->order_id) + " " + it->second->status + ", " +
             std::to_string(o.order_id) + " " + o.status + ")");
      if (o.status == "NEW" || o.status == "PARTIALLY_FILLED") it->second = &o;
    }
  }
  std::map<int64_t, const Fill*> venue_fills;
  for (const auto& [id, f] : t.trades) {
    if (v.ours(f.cid)) venue_fills[id] = &f;
  }
  // Slots.
  std::set<std::string> locked, strays;
  for (auto task : k["tasks"].get_array()) {
    const std::string halted = str(task["halted"]);
    if (!halted.empty()) strict("task " + str(task["id"]) + " halted: " + halted);
    for (auto s : task["strays"].get_array()) strays.insert(str(s["client_order_id"]));
    for (auto s : task["slots"].get_array()) {
      const std::string state = str(s["state"]), cid = str(s["client_order_id"]);
      if (state == "PENDING") lag("slot " + str(s["price"]) + " still PENDING (" + cid + ")");
      if (state != "LOCKED" && state != "FILLED") continue;
      auto it = orders.find(cid);
      const int64_t filled = e8(str(s["filled_qty"]));
      if (state == "LOCKED") {
        if (!locked.insert(cid).second) lag("order " + cid + " is LOCKED in two slots");
        if (it == orders.end() ||
            (it->second->status != "NEW" && it->second->status != "PARTIALLY_FILLED")) {
          lag("LOCKED " + cid + " is not an open order on the exchange (" +
              (it == orders.end() ? "unknown" : it->second->status) + ")");
        } else if (it->second->executed_e8 != filled) {
          lag("LOCKED " + cid + " executed qty differs (keel " + str(s["filled_qty"]) +
              ", exchange " + std::to_string(it->second->executed_e8) + " e-8)");
        }
      } else if (!cid.empty() && (it == orders.end() || it->second->status != "FILLED" ||
                                  it->second->executed_e8 != filled)) {
        lag("FILLED " + cid + " is not a filled order with that quantity on the exchange");
      }
    }
  }
  // At most one live order per slot: every open order must be the current order of a LOCKED
  // slot (a slot names one order; a second live order of a slot is an open order no slot
  // names) or a stray keel is cancelling. Two slots' sells may share a price (seed 001:
  // max(L + I, center + I)).
  for (const auto& [cid, o] : orders) {
    if (v.placed.count(cid) == 0 && v.adopted.count(cid) == 0) {
      lag("exchange order " + cid + " (" + o->status + ") has no journaled PlaceIntent or "
          "OrderAdopted (W5)");
    }
    if (o->status != "NEW" && o->status != "PARTIALLY_FILLED") continue;
    if (locked.count(cid) != 0) continue;
    if (strays.count(cid) != 0 && v.cancelling.count(cid) != 0) continue;
    lag("open order " + cid + " is not a LOCKED slot" +
        (strays.count(cid) != 0 ? " (a stray with no journaled CancelIntent)" : ""));
  }
  // Fills: exactly the exchange's trades of the journal's orders.
  for (const auto& [id, f] : venue_fills) {
    if (v.fills.count(id) == 0) lag("trade " + std::to_string(id) + " of " + f->cid + " lost");
  }
  for (const auto& [id, f] : v.fills) {
    if (venue_fills.count(id) == 0) {
      auto it = t.trades.find(id);
      strict("journaled trade " + std::to_string(id) + " of " + f.cid +
             (it == t.trades.end() ? " unknown to the exchange"
                                   : " is a trade of " + it->second.cid + ", not of this journal"));
    } else if (venue_fills.at(id)->qty_e8 != f.qty_e8 ||
               venue_fills.at(id)->commission_e8 != f.commission_e8 ||
               venue_fills.at(id)->commission_asset != f.commission_asset) {
      strict("journaled trade " + std::to_string(id) + " differs from the exchange's");
    }
  }
  for (const auto& [id, cid] : v.foreign) {
    auto it = t.trades.find(id);
    if (it == t.trades.end()) strict("foreign trade " + std::to_string(id) + " unknown to the exchange");
    else if (v.ours(it->second.cid)) {
      strict("trade " + std::to_string(id) + " of " + it->second.cid +
             " is this journal's, journaled as a ForeignFill");
    }
  }
  // TradesScanned: every trade of the account above the baseline and up to the watermark is
  // journaled, whoever's it is. The watermark is the export's own, the same read as its fills:
  // inspect ran earlier, and with --power-loss an engine dying in between (a failpoint during
  // the check) takes its unsynced records (a reconciliation's fills and watermark, journaled
  // together) back out of the journal. Inspect's must agree once the journal is quiet.
  const int64_t watermark = v.scan_watermark;
  if (int64_t(k["account"]["scan_watermark"]) != watermark) {
    lag("inspect's trade-history watermark " + std::to_string(int64_t(k["account"]["scan_watermark"])) +
        " differs from the export's " + std::to_string(watermark));
  }
  if (v.baseline_trade_id >= 0) {
    for (auto it = t.trades.upper_bound(v.baseline_trade_id);
         it != t.trades.end() && it->first <= watermark; ++it) {
      if (v.fills.count(it->first) == 0 && v.foreign.count(it->first) == 0) {
        strict("trade " + std::to_string(it->first) + " of " + it->second.cid +
               " is at or below the trade-history watermark " + std::to_string(watermark) +
               " but not journaled (as OrderFilled or ForeignFill)");
      }
    }
  }
  // Fill count and inventory (per task: buys - sells - commissions in the base asset).
  int64_t task_fills = 0;
  std::map<std::string, int64_t> inventory;
  for (const auto& [id, f] : v.fills) {
    inventory[f.task] += f.buy ? f.qty_e8 : -f.qty_e8;
    if (f.commission_asset == kBaseAsset) inventory[f.task] -= f.commission_e8;
  }
  for (auto task : k["tasks"].get_array()) {
    task_fills += int64_t(task["fills"]);
    const std::string id = str(task["id"]);
    if (e8(str(task["inventory"])) != inventory[id]) {
      lag("task " + id + " inventory " + str(task["inventory"]) + " differs from its fills (" +
          std::to_string(inventory[id]) + " e-8: buys - sells - base commissions)");
    }
  }
  size_t open = 0;
  for (const auto& [cid, o] : orders) open += o->status == "NEW" || o->status == "PARTIALLY_FILLED";
  out.summary += tag + std::to_string(v.prefixes.size()) + " epochs, " +
                 std::to_string(orders.size()) + " orders (" + std::to_string(open) + " open, " +
                 std::to_string(locked.size()) + " LOCKED), " + std::to_string(venue_fills.size()) +
                 " trades, " + std::to_string(v.foreign.size()) + " foreign fills, watermark " +
                 std::to_string(watermark) + "; ";
  if (task_fills != static_cast<int64_t>(venue_fills.size())) {
    lag("fills: keel " + std::to_string(task_fills) + ", exchange " +
        std::to_string(venue_fills.size()));
  }
  // keel's own R4.
  for (auto [asset, amount] : k["account"]["expected_balances"].get_object()) {
    auto it = t.balance.find(std::string(asset));
    const int64_t venue = it == t.balance.end() ? 0 : it->second;
    if (venue != e8(str(amount))) {
      lag("keel's R4: " + std::string(asset) + " on the exchange " + std::to_string(venue) +
          ", the journal explains " + str(amount) + " (e-8)");
    }
  }
}

// ---- the campaign ---------------------------------------------------------------------------

struct LifeSpec {
  std::string failpoint;     // "name:hit", or "" for a random kill
  double early_kill_ms = 0;  // > 0: a random kill this long after the start, safe or not
};

struct Tally : CrashTally {
  int crashes_before_safe = 0;
  int recoveries_checked = 0;
  int live_verifies = 0;  // `keel verify` runs beside the live engine (each one a check)
  int checks_interrupted = 0;
  int checks_caught_up = 0;  // a comparison agreed only after a further reconciliation period
  int divergences = 0;
  int rounds = 0;
  std::vector<double> time_to_safe_ms;
  // The second engine (--shared-account).
  std::map<std::string, int> second_crashes;
  std::vector<double> second_time_to_safe_ms;
  // What the new faults did (summed over rounds, from each round's last look).
  int64_t late_executed = 0, late_expired = 0, max_cancels = 0;
  int64_t adopted = 0, foreign_fills = 0, late_journaled = 0;
  int restores = 0, copies = 0;
  std::map<std::string, double> spent_s;  // wall time per activity
};

// Adds the wall time of its scope to a counter (where the campaign's time goes).
class Spent {
 public:
  explicit Spent(double& into) : into_(into), t0_(now_s()) {}
  ~Spent() { into_ += now_s() - t0_; }
  Spent(const Spent&) = delete;
  Spent& operator=(const Spent&) = delete;

 private:
  double& into_;
  double t0_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The engine's config: loopback_config with another grid for the second engine.
std::string engine_config(const Args& a, int port, bool second) {
  // A snapshot every 10 records: the snapshot failpoints are reached within a life, and every
  // restart decodes a snapshot written just before a crash.
  std::string cfg = loopback_config(port, a.reconcile_every_ms, 10);
  if (a.recv_window_ms > 0) {
    const std::string at = "\ntasks:";
    cfg.insert(cfg.find(at), "\n  recv_window_ms: " + std::to_string(a.recv_window_ms));
  }
  if (second) {
    const std::string from = "price_interval: \"5\"";
    cfg.replace(cfg.find(from), from.size(), "price_interval: \"7\"");
  }
  return cfg;
}

bool start_round(const Args& a, Round& r) {
  r.dir = a.workdir + "/round" + std::to_string(r.index);
  fs::create_directories(r.dir);
  std::vector<std::string> argv{a.keel, "sim", "--listen", "127.0.0.1:0", "--speed", a.speed,
                                "--state", r.dir + "/sim", "--seed",
                                std::to_string(a.seed + static_cast<uint64_t>(r.index))};
  for (const auto& d : a.data) argv.insert(argv.end(), {"--data", d});
  if (!a.faults.empty()) argv.insert(argv.end(), {"--faults", a.faults});
  if (!a.commission_asset.empty()) argv.insert(argv.end(), {"--commission-asset", a.commission_asset});
  r.port = start_sim(argv, &r.sim, false);
  if (r.port == 0) return false;
  // Periodic reconciliation: 60 s by default (a recovery must be right by itself, not healed
  // later); short with drops or a shared account (Args::catch_up).
  r.journals.clear();
  for (int i = 0; i < (a.shared_account ? 2 : 1); ++i) {
    JournalRef j;
    j.label = i == 0 ? "engine" : "engine2";
    j.dir = r.dir + "/" + j.label;
    j.log = r.dir + "/" + j.label + ".log";
    j.cfg = r.dir + (i == 0 ? "/live.yaml" : "/live2.yaml");
    std::ofstream(j.cfg) << engine_config(a, r.port, i == 1);
    r.journals.push_back(j);
  }
  return true;
}

bool recording_ended(const Round& r) {
  return http(r.port, "GET", "/sim/v1/truth?account=default").find("\"recordingEnded\":true") !=
         std::string::npos;
}

class Campaign {
 public:
  explicit Campaign(const Args& a) : a_(a), rng_(a.seed) {
    for (std::string_view fp : keel::kFailpoints) {
      if (fp == "run.exchange.after_event") continue;  // the embedded exchange's loop only
      failpoint_names_.emplace_back(fp);
    }
  }

  int run() {
    fs::remove_all(a_.workdir);
    fs::create_directories(a_.workdir);
    setenv("KEEL_SIM_KEY", "keel-sim-key", 1);
    setenv("KEEL_SIM_SECRET", "keel-sim-secret", 1);
    std::vector<LifeSpec> failpoint_lives;
    for (const std::string& fp : failpoint_names_) {
      for (int hit : a_.failpoint_hits) failpoint_lives.push_back({fp + ":" + std::to_string(hit)});
    }
    std::shuffle(failpoint_lives.begin(), failpoint_lives.end(), rng_);
    size_t next_fp = 0;
    const double t0 = now_s();
    Round round;
    bool pending_check = false;
    while (tally_.total() < a_.crashes) {
      if (round.sim < 0 || recording_ended(round)) {
        // The recording ended with a crash unchecked: check it now (the market is still).
        if (round.sim > 0 && pending_check) last_recovery(round);
        end_round(round);
        round = Round{};
        round.index = ++tally_.rounds;
        if (!start_round(a_, round)) {
          std::printf("keel sim did not start\n");
          return 2;
        }
        pending_check = false;
      }
      // Failpoint lives spread evenly over the campaign, random kills in between; one random
      // life in five is killed during start-up, before it is safe.
      const double fp_left = static_cast<double>(failpoint_lives.size() - next_fp);
      const double crashes_left = std::max(1, a_.crashes - tally_.total());
      std::uniform_real_distribution<double> u(0, 1);
      LifeSpec spec;
      if (u(rng_) < fp_left / crashes_left) spec = failpoint_lives[next_fp++];
      else if (u(rng_) < 0.2) spec.early_kill_ms = u(rng_) * 2 * median_tts_ms();
      if (life(round, spec, pending_check)) pending_check = true;
      if ((tally_.total() % 25) == 0 || tally_.divergences > 0) progress(t0);
    }
    if (pending_check) last_recovery(round);
    end_round(round);
    print_table(now_s() - t0);
    return tally_.divergences == 0 ? 0 : 1;
  }

 private:
  const JournalRef& first(const Round& r) const { return r.journals[0]; }

  std::vector<std::string> engine_argv(const JournalRef& j) const {
    return {a_.keel, "run", "--config", j.cfg, "--data-dir", j.dir, "--quiet"};
  }
  std::map<std::string, std::string> engine_env(const std::string& failpoint) const {
    return {{"KEEL_FAILPOINT", failpoint}, {"KEEL_POWER_LOSS", a_.power_loss ? "1" : ""}};
  }

  // Restarts the engine once more, checks its recovery, stops it (SIGTERM: a clean exit).
  void last_recovery(Round& r) {
    EngineProcess e(engine_argv(first(r)), engine_env(""), first(r).log);
    if (!wait_safe(e, r)) {
      if (e.poll()) diverge(r, "the last restart ended before it was safe: " + e.how() + "\n" + e.tail());
      return;
    }
    tally_.time_to_safe_ms.push_back((e.safe_at() - e.t_spawn()) * 1e3);
    if (!e.quoting()) diverge(r, "after the restart: " + e.safe_line());
    else check(r, e);
    stop_clean(r, e, first(r).label);
  }

  // SIGTERM: the engine must exit 0 (its last reconciliation, then a clean stop).
  void stop_clean(Round& r, EngineProcess& e, const std::string& label) {
    if (e.poll()) return;
    e.signal(SIGTERM);
    e.finish();
    if (e.rc() != 0) {
      diverge(r, label + " stopped by SIGTERM: " + e.how() + " instead of exit 0; log tail:\n" +
                     e.tail());
    }
  }

  void end_round(Round& r) {
    if (r.sim <= 0) return;
    if (second_ && second_->safe_at() == 0) {  // in start-up: no SIGTERM handler yet
      second_->signal(SIGKILL);
      second_->finish();
    } else if (second_) {
      stop_clean(r, *second_, "engine2");
    }
    second_.reset();
    // What the new faults did in this round: the truth and every journal's last state.
    Truth t;
    if (parse_truth(http(r.port, "GET", "/sim/v1/truth?account=default"), t)) {
      tally_.late_executed += t.late_executed;
      tally_.late_expired += t.late_expired;
      for (const auto& [cid, n] : t.cancels) tally_.max_cancels = std::max(tally_.max_cancels, n);
    }
    for (const JournalRef& j : r.journals) {
      const Inspect in = inspect(a_, j);
      simdjson::dom::parser p;
      simdjson::dom::element k;
      if (!in.ok || p.parse(in.json).get(k) != simdjson::SUCCESS) continue;
      tally_.foreign_fills += int64_t(k["account"]["foreign_fills"]);
      for (auto task : k["tasks"].get_array()) {
        tally_.adopted += int64_t(task["adopted"]);
        tally_.late_journaled += int64_t(task["late_executions"]);
      }
    }
    kill(r.sim, SIGTERM);
    wait_exit(r.sim);
    r.sim = -1;
  }

  // Counts a divergence once per round (a finding that persists is reported by every later
  // check of the round: it is one defect).
  void diverge(Round& r, const std::string& what) {
    if (!r.reported.insert(what).second) return;
    ++tally_.divergences;
    std::printf("  DIVERGENCE (round %d): %s\n", r.index, what.c_str());
    std::fflush(stdout);
    std::ofstream(first(r).log, std::ios::app) << "campaign: DIVERGENCE: " << what << "\n";
  }

  // Waits until the engine is safe or exits; false when it exited or never got safe.
  bool wait_safe(EngineProcess& e, Round& r, bool tick = true) {
    Spent spent(tally_.spent_s[tick ? "start-up" : "engine2 start-up for checks"]);
    const double deadline = now_s() + 60;
    while (e.safe_at() == 0 && !e.poll() && now_s() < deadline) {
      if (tick) tick_second(r);
      sleep_ms(2);
    }
    if (e.safe_at() != 0) return true;
    if (!e.poll()) {
      diverge(r, "the engine was not safe 60 s after its start; log tail:\n" + e.tail());
      e.signal(SIGKILL);
      e.finish();
    }
    return false;
  }

  // Waits until every journal is quiet: two inspects 150 ms apart with the same last sequence
  // and no PENDING slot. False when the first engine died meanwhile or the deadline passed
  // (*pending: PENDING slots then).
  bool wait_quiet(Round& r, EngineProcess& e, std::vector<Inspect>& last, int* pending) {
    last.assign(r.journals.size(), Inspect{});
    const double deadline = now_s() + 20;
    while (now_s() < deadline && !e.poll()) {
      sleep_ms(150);
      bool quiet = true;
      *pending = 0;
      for (size_t i = 0; i < r.journals.size(); ++i) {
        Inspect cur = inspect(a_, r.journals[i]);
        quiet = quiet && cur.ok && last[i].ok && cur.last_seq == last[i].last_seq && cur.pending == 0;
        *pending += cur.pending;
        last[i] = std::move(cur);
      }
      if (quiet) return true;
    }
    return false;
  }

  // One comparison of every journal with the truth.
  Findings compare(Round& r, const std::vector<Inspect>& ins) {
    Findings out;
    Truth t;
    if (!parse_truth(http(r.port, "GET", "/sim/v1/truth?account=default"), t)) {
      out.strict.push_back("could not read the truth");
      return out;
    }
    std::vector<simdjson::dom::parser> parsers(r.journals.size());
    std::vector<JournalView> views(r.journals.size());
    std::map<int64_t, std::string> owner;  // trade id -> the journal that holds it as OrderFilled
    std::map<std::string, int64_t> delta;  // every journal's fills' balance changes
    for (size_t i = 0; i < r.journals.size(); ++i) {
      const JournalRef& j = r.journals[i];
      simdjson::dom::element k;
      if (parsers[i].parse(ins[i].json).get(k) != simdjson::SUCCESS) {
        out.strict.push_back(jtag(j) + "keel inspect --json is not JSON");
        continue;
      }
      JournalView& v = views[i];
      v.ref = &j;
      for (auto e : k["account"]["epochs"].get_array()) v.prefixes.push_back("k2" + str(e) + "-");
      if (!read_export(a_, r, j, v, out)) continue;
      judge_journal(v, k, t, out);
      for (const auto& [id, f] : v.fills) {
        auto [it, fresh] = owner.emplace(id, j.label);
        if (!fresh) {
          out.strict.push_back("trade " + std::to_string(id) + " journaled as OrderFilled by " +
                               it->second + " and " + j.label);
          continue;
        }
        add_fill(delta, f, "USDT");
      }
    }
    // Every keel order of the account belongs to exactly one journal.
    for (const Truth::Order& o : t.orders) {
      if (!keel_id(o.cid)) continue;
      int n = 0;
      for (const JournalView& v : views) n += v.ref != nullptr && v.ours(o.cid);
      if (n != 1) {
        out.lagging.push_back("exchange order " + o.cid + " (" + o.status + ") belongs to " +
                              std::to_string(n) + " journals' epochs");
      }
    }
    // R4 over the account: balance changes == every journal's fills minus commissions.
    std::set<std::string> assets;
    for (const auto& [asset, v] : t.balance) assets.insert(asset);
    for (const auto& [asset, v] : delta) assets.insert(asset);
    for (const std::string& asset : assets) {
      auto init = kInitialE8.find(asset);
      auto bal = t.balance.find(asset);
      const int64_t change = (bal == t.balance.end() ? 0 : bal->second) -
                             (init == kInitialE8.end() ? 0 : init->second);
      if (change != delta[asset]) {
        out.lagging.push_back("R4: " + asset + " balance change " + std::to_string(change) +
                              " != journaled fills minus commissions " +
                              std::to_string(delta[asset]) + " (1e-8)");
      }
    }
    // No request storm.
    for (const auto& [cid, n] : t.cancels) {
      if (n > kMaxCancelsPerOrder) {
        out.strict.push_back("request storm: order " + cid + " was cancelled " +
                             std::to_string(n) + " times (at most " +
                             std::to_string(kMaxCancelsPerOrder) + ")");
      }
    }
    return out;
  }

  void log_line(const Round& r, const std::string& s) {
    std::ofstream(first(r).log, std::ios::app) << "campaign: " << s << "\n";
  }

  // Pauses the market, waits for quiet journals, compares, resumes. False when the engine died
  // meanwhile (a failpoint): the check is abandoned and the crash counted by the caller.
  bool check(Round& r, EngineProcess& e) {
    Spent spent(tally_.spent_s["checks"]);
    http(r.port, "POST", "/sim/v1/pause");
    log_line(r, "check: market paused");
    if (a_.shared_account && !second_safe_for_check(r)) {
      http(r.port, "POST", "/sim/v1/resume");
      return true;
    }
    const int attempts = a_.catch_up() ? 3 : 1;
    bool done = false, interrupted = false;
    std::set<std::string> strict;
    std::vector<std::string> first_lagging;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) {
        // One more reconciliation period of the engines (with the market still).
        const double until = now_s() + (a_.reconcile_every_ms + 300) / 1e3;
        while (now_s() < until && !e.poll()) sleep_ms(5);
      }
      std::vector<Inspect> last;
      int pending = 0;
      const bool quiet = wait_quiet(r, e, last, &pending);
      if (e.poll()) {
        interrupted = true;
        break;
      }
      if (!quiet) {
        if (attempt + 1 < attempts) continue;
        diverge(r, "the journals did not settle with the market paused (PENDING slots: " +
                       std::to_string(pending) + ")");
        done = true;
        break;
      }
      const Findings f = compare(r, last);
      log_line(r, "check: " + f.summary + std::to_string(f.strict.size() + f.lagging.size()) +
                      " findings");
      // Strict findings come from one read each (an export, an inspect, the truth); lagging
      // ones compare inspect with a later export, which an engine dying meanwhile can make
      // disagree (--power-loss discards its unsynced records): such a check is interrupted.
      strict.insert(f.strict.begin(), f.strict.end());
      if (!f.lagging.empty() && e.poll()) {
        interrupted = true;
        break;
      }
      if (attempt == 0) first_lagging = f.lagging;
      if (f.lagging.empty()) {
        if (attempt > 0) {
          ++tally_.checks_caught_up;
          std::string s = "check caught up after " + std::to_string(attempt) +
                          " more reconciliation period(s); first comparison:";
          for (const std::string& x : first_lagging) s += "\n  " + x;
          log_line(r, s);
        }
        done = true;
        break;
      }
      if (attempt + 1 == attempts) {
        for (const std::string& d : f.lagging) diverge(r, d);
        done = true;
      }
    }
    if (interrupted) {
      ++tally_.checks_interrupted;
    } else if (done) {
      ++tally_.recoveries_checked;
    }
    for (const std::string& d : strict) diverge(r, d);
    http(r.port, "POST", "/sim/v1/resume");
    log_line(r, "check: market resumed");
    return done;
  }

  // Judges how a life of the first engine ended. True when it crashed (a recovery is then
  // owed). A SIGKILL is a crash when the campaign sent it or a failpoint fired; a SIGUSR2 the
  // campaign sent that arrives before keel's main() blocked it kills the process by its
  // default action, before anything was written: a power cut all the same.
  bool count_end(EngineProcess& e, Round& r, const std::string& point) {
    e.finish();
    const bool ours = e.signalled() != 0 || e.failpoint_fired();
    if ((e.killed_by(SIGKILL) && ours) || (e.signalled() == SIGUSR2 && e.killed_by(SIGUSR2))) {
      ++tally_.crashes[point];
      after_crash(r);
      return true;
    }
    diverge(r, "the engine " + e.how() + " instead of crashing; log tail:\n" + e.tail());
    return false;
  }

  bool life(Round& r, const LifeSpec& spec, bool after_crash) {
    if (spec.early_kill_ms > 0) return early_life(r, spec) || after_crash;
    EngineProcess e(engine_argv(first(r)), engine_env(spec.failpoint), first(r).log);
    const std::string fp_name = spec.failpoint.substr(0, spec.failpoint.rfind(':'));
    bool crashed = false;
    if (!wait_safe(e, r)) {
      if (!e.poll()) return false;  // diverged (never safe)
      e.finish();
      if (!spec.failpoint.empty() && e.killed_by(SIGKILL) && e.failpoint_fired()) {
        ++tally_.crashes_before_safe;
      }
      crashed = count_end(e, r, spec.failpoint.empty() ? "random" : fp_name);
      downtime(r);
      return crashed || after_crash;
    }
    if (after_crash) {
      tally_.time_to_safe_ms.push_back((e.safe_at() - e.t_spawn()) * 1e3);
      if (!e.quoting()) diverge(r, "after the restart: " + e.safe_line());
      else check(r, e);
    }
    if (e.poll()) {  // died during the check (its failpoint)
      crashed = count_end(e, r, spec.failpoint.empty() ? "random" : fp_name);
      downtime(r);
      return crashed;
    }
    // A reader beside the live writer: `keel verify` while the engine trades must find the
    // journal intact (a read-only view that raced a flush is taken again, journal.h).
    for (const JournalRef& j : r.journals) {
      int rc = 0;
      const std::string out = run_capture(keel_cmd(a_, j, "verify"), &rc, /*err_fd=*/1);
      ++tally_.live_verifies;
      if (rc != 0) {
        diverge(r, j.label + ": keel verify beside the live engine: exit " + std::to_string(rc) +
                       ": " + out);
      }
    }
    Spent spent(tally_.spent_s["running"]);
    std::uniform_real_distribution<double> run(0, a_.run_max_ms);
    const double until = now_s() + (spec.failpoint.empty() ? run(rng_) : std::max(3000, a_.run_max_ms)) / 1e3;
    while (now_s() < until && !e.poll()) {
      tick_second(r);
      sleep_ms(1);
    }
    std::string point = fp_name;
    if (!e.poll()) {
      if (!spec.failpoint.empty()) ++tally_.not_reached[fp_name];
      point = a_.power_loss ? "random power cut" : "random";
      e.signal(a_.power_loss ? SIGUSR2 : SIGKILL);
      e.wait();
    }
    crashed = count_end(e, r, point);
    downtime(r);
    return crashed;
  }

  double median_tts_ms() const {
    return tally_.time_to_safe_ms.empty() ? 300 : percentile(tally_.time_to_safe_ms, 0.5);
  }

  // A random kill during start-up (catch-up, reconciliation or the first decisions).
  bool early_life(Round& r, const LifeSpec& spec) {
    Spent spent(tally_.spent_s["running"]);
    EngineProcess e(engine_argv(first(r)), engine_env(""), first(r).log);
    const double until = e.t_spawn() + spec.early_kill_ms / 1e3;
    while (now_s() < until && !e.poll()) {
      tick_second(r);
      sleep_ms(1);
    }
    if (!e.poll()) {
      e.signal(a_.power_loss ? SIGUSR2 : SIGKILL);
      e.wait();
    }
    const bool crashed = count_end(e, r, a_.power_loss ? "random power cut (start-up)"
                                                       : "random (start-up)");
    downtime(r);
    return crashed;
  }

  void downtime(Round& r) {
    Spent spent(tally_.spent_s["down"]);
    std::uniform_real_distribution<double> d(0, a_.down_max_ms);
    const double until = now_s() + d(rng_) / 1e3;
    while (now_s() < until) {
      tick_second(r);
      sleep_ms(2);
    }
  }

  // --restore-every: the first engine is dead; copy its data directory aside, or restore the
  // copy taken a few crashes ago in its place.
  void after_crash(Round& r) {
    if (a_.restore_every <= 0) return;
    ++r.crashes;
    const JournalRef& j = first(r);
    const std::string copy = r.dir + "/" + j.label + ".copy";
    std::error_code ec;
    if (r.copy_at < 0) {
      if (r.crashes % a_.restore_every != 0 || !fs::exists(j.dir)) return;
      fs::remove_all(copy, ec);
      fs::copy(j.dir, copy, fs::copy_options::recursive, ec);
      if (ec) {
        diverge(r, "copying the data directory aside: " + ec.message());
        return;
      }
      std::uniform_int_distribution<int> gap(1, std::max(1, a_.restore_every / 2));
      r.copy_at = r.crashes;
      r.restore_at = r.crashes + gap(rng_);
      ++tally_.copies;
      log_line(r, "data directory copied aside at crash " + std::to_string(r.crashes) +
                      " (restored at crash " + std::to_string(r.restore_at) + ")");
    } else if (r.crashes >= r.restore_at) {
      fs::remove_all(j.dir, ec);
      fs::copy(copy, j.dir, fs::copy_options::recursive, ec);
      if (ec) {
        diverge(r, "restoring the data directory's copy: " + ec.message());
        return;
      }
      fs::remove_all(copy, ec);
      ++tally_.restores;
      log_line(r, "data directory restored from the copy of crash " + std::to_string(r.copy_at) +
                      " at crash " + std::to_string(r.crashes));
      r.copy_at = r.restore_at = -1;
    }
  }

  // ---- the second engine (--shared-account) ----

  void start_second(Round& r, bool allow_failpoint) {
    const JournalRef& j = r.journals[1];
    std::uniform_real_distribution<double> u(0, 1);
    second_fp_.clear();
    if (allow_failpoint && u(rng_) < 1.0 / 3 && !a_.failpoint_hits.empty()) {
      std::uniform_int_distribution<size_t> fp(0, failpoint_names_.size() - 1);
      std::uniform_int_distribution<size_t> hit(0, a_.failpoint_hits.size() - 1);
      second_fp_ = failpoint_names_[fp(rng_)] + ":" + std::to_string(a_.failpoint_hits[hit(rng_)]);
    }
    second_restart_ = fs::exists(j.dir);
    second_tts_recorded_ = false;
    second_ = std::make_unique<EngineProcess>(engine_argv(j), engine_env(second_fp_), j.log);
    second_kill_at_ = now_s() + u(rng_) * 3 * a_.run_max_ms / 1e3;
  }

  // The second engine ended (by itself or by the campaign's kill): count it, plan its restart.
  void end_second(Round& r) {
    EngineProcess& e = *second_;
    e.finish();
    const bool ours = e.signalled() != 0 || e.failpoint_fired();
    if ((e.killed_by(SIGKILL) && ours) || (e.signalled() == SIGUSR2 && e.killed_by(SIGUSR2))) {
      const std::string point =
          e.signalled() != 0 ? (a_.power_loss ? "random power cut" : "random")
                             : second_fp_.substr(0, second_fp_.rfind(':'));
      ++tally_.second_crashes[point];
    } else {
      diverge(r, "engine2 " + e.how() + " instead of crashing; log tail:\n" + e.tail());
    }
    second_.reset();
    std::uniform_real_distribution<double> d(0, a_.down_max_ms);
    second_restart_at_ = now_s() + d(rng_) / 1e3;
  }

  void note_second_safe(Round& r) {
    if (!second_ || second_tts_recorded_ || second_->safe_at() == 0) return;
    second_tts_recorded_ = true;
    if (second_restart_) {
      second_time_to_safe_ms_.push_back((second_->safe_at() - second_->t_spawn()) * 1e3);
    }
    if (!second_->quoting()) diverge(r, "engine2 after its restart: " + second_->safe_line());
  }

  // Runs the second engine's lives beside the first's: called wherever the campaign waits.
  void tick_second(Round& r) {
    if (!a_.shared_account) return;
    if (second_) {
      note_second_safe(r);
      if (second_->poll()) {
        end_second(r);
      } else if (now_s() >= second_kill_at_) {
        second_->signal(a_.power_loss ? SIGUSR2 : SIGKILL);
        second_->wait();
        end_second(r);
      }
    } else if (now_s() >= second_restart_at_) {
      start_second(r, /*allow_failpoint=*/true);
    }
  }

  // Before a check: the second engine alive (restarted without a failpoint if it is dead or
  // armed) and safe. False when it could not be made safe (a divergence was reported).
  bool second_safe_for_check(Round& r) {
    if (second_ && !second_fp_.empty() && !second_->poll()) {
      second_->signal(a_.power_loss ? SIGUSR2 : SIGKILL);
      second_->wait();
    }
    if (second_ && second_->poll()) end_second(r);
    if (!second_) start_second(r, /*allow_failpoint=*/false);
    if (!wait_safe(*second_, r, /*tick=*/false)) {
      if (second_->poll()) end_second(r);
      return false;
    }
    note_second_safe(r);
    // Not killed during the check; killed at the planned instant if it passed meanwhile.
    return true;
  }

  void progress(double t0) {
    std::printf("  %.0f s: %d crashes, %d recoveries checked, %d divergences, round %d\n",
                now_s() - t0, tally_.total(), tally_.recoveries_checked, tally_.divergences,
                tally_.rounds);
    std::fflush(stdout);
  }

  void print_table(double seconds) {
    std::ostringstream o;
    o << tally_.table();
    char summary[2048];
    std::snprintf(summary, sizeof summary,
                  "\ncrashes %d (%d before the engine was safe), recoveries checked %d "
                  "(%d checks cut short by a failpoint, %d caught up after a further "
                  "reconciliation period), keel verify beside the live engine %d, "
                  "divergences %d, rounds %d, %.0f s\n"
                  "time-to-safe (restart -> reconciled and quoting): p50 %.1f ms, p99 %.1f ms, "
                  "max %.1f ms over %zu restarts\n",
                  tally_.total(), tally_.crashes_before_safe, tally_.recoveries_checked,
                  tally_.checks_interrupted, tally_.checks_caught_up, tally_.live_verifies,
                  tally_.divergences, tally_.rounds, seconds,
                  percentile(tally_.time_to_safe_ms, 0.5), percentile(tally_.time_to_safe_ms, 0.99),
                  percentile(tally_.time_to_safe_ms, 1.0), tally_.time_to_safe_ms.size());
    o << summary;
    if (a_.shared_account) {
      int n = 0;
      std::string points;
      for (const auto& [p, c] : tally_.second_crashes) {
        n += c;
        points += (points.empty() ? "" : ", ") + p + " " + std::to_string(c);
      }
      std::snprintf(summary, sizeof summary,
                    "second engine on the account: %d crashes (%s), time-to-safe p50 %.1f ms, "
                    "p99 %.1f ms over %zu restarts\n",
                    n, points.c_str(), percentile(second_time_to_safe_ms_, 0.5),
                    percentile(second_time_to_safe_ms_, 0.99), second_time_to_safe_ms_.size());
      o << summary;
    }
    std::snprintf(summary, sizeof summary,
                  "new faults: late executions %lld (expired %lld; evidence for orders keel "
                  "had closed %lld), cancels of one order at most %lld, orders adopted %lld, restores %d "
                  "(copies %d), foreign fills %lld\n"
                  "mode: speed %s, faults %s, commission %s, shared account %s, restore every "
                  "%d, reconcile every %d ms, recvWindow %s, power loss %s, run <= %d ms, "
                  "down <= %d ms, seed %llu\n",
                  static_cast<long long>(tally_.late_executed),
                  static_cast<long long>(tally_.late_expired),
                  static_cast<long long>(tally_.late_journaled),
                  static_cast<long long>(tally_.max_cancels),
                  static_cast<long long>(tally_.adopted), tally_.restores, tally_.copies,
                  static_cast<long long>(tally_.foreign_fills), a_.speed.c_str(),
                  a_.faults.empty() ? "none" : a_.faults.c_str(),
                  a_.commission_asset.empty() ? "quote" : a_.commission_asset.c_str(),
                  a_.shared_account ? "on" : "off", a_.restore_every, a_.reconcile_every_ms,
                  a_.recv_window_ms > 0 ? (std::to_string(a_.recv_window_ms) + " ms").c_str()
                                        : "keel's default",
                  a_.power_loss ? "on" : "off", a_.run_max_ms, a_.down_max_ms,
                  static_cast<unsigned long long>(a_.seed));
    o << summary;
    o << "time spent:";
    for (const auto& [what, sec] : tally_.spent_s) {
      std::snprintf(summary, sizeof summary, " %s %.0f s;", what.c_str(), sec);
      o << summary;
    }
    o << "\n";
    std::printf("\n%s", o.str().c_str());
    std::printf("%d passed, %d failed\n", tally_.divergences == 0 ? 1 : 0,
                tally_.divergences == 0 ? 0 : 1);
    if (!a_.report.empty()) std::ofstream(a_.report) << o.str();
  }

  const Args& a_;
  std::mt19937_64 rng_;
  Tally tally_;
  std::vector<std::string> failpoint_names_;
  // The second engine (--shared-account).
  std::unique_ptr<EngineProcess> second_;
  std::string second_fp_;
  double second_kill_at_ = 0, second_restart_at_ = 0;
  bool second_restart_ = false, second_tts_recorded_ = false;
  std::vector<double>& second_time_to_safe_ms_ = tally_.second_time_to_safe_ms;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: keel_sim_crash_campaign --keel BIN --data FILE [--data FILE] --workdir DIR\n"
                 "  [--crashes N] [--failpoint-hits 1,2,3] [--speed X] [--run-max-ms MS]\n"
                 "  [--down-max-ms MS] [--faults SPEC] [--commission-asset base|quote|ASSET:PRICE]\n"
                 "  [--shared-account] [--restore-every N] [--reconcile-every-ms MS]\n"
                 "  [--power-loss] [--seed S] [--report FILE]\n");
    return 2;
  }
  return Campaign(a).run();
}
