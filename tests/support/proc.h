// tests/support/proc.h: child processes, loopback HTTP and exact decimals for the test drivers
// that run whole `keel` commands (tests/crash, tests/integration). Header-only, POSIX.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keel::testsupport {

// fork+execv `argv` with `env` set (value "" unsets) and stdout/stderr sent to the given fds
// (-1: /dev/null). Returns the child's pid (-1 when fork fails).
inline pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd,
                   const std::map<std::string, std::string>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) {
      if (v.empty()) unsetenv(k.c_str());
      else setenv(k.c_str(), v.c_str(), 1);
    }
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(out_fd >= 0 ? out_fd : null_fd, 1);
    dup2(err_fd >= 0 ? err_fd : null_fd, 2);
    std::vector<char*> a;
    for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return pid;
}

// Exit code, or 128 + signal number for a child killed by a signal.
inline int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return decode_status(status);
}

// Runs `argv` to completion and returns its stdout; *rc gets wait_exit's value. Its stderr
// goes to `err_fd` (-1: /dev/null; 2: this process's stderr).
inline std::string run_capture(const std::vector<std::string>& argv, int* rc, int err_fd = -1) {
  int fds[2];
  if (pipe(fds) != 0) {
    *rc = -1;
    return "";
  }
  const pid_t pid = spawn(argv, fds[1], err_fd);
  close(fds[1]);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  *rc = wait_exit(pid);
  return out;
}

// One HTTP/1.0 request to 127.0.0.1:port; returns the body ("" when the connection fails).
inline std::string http(int port, const std::string& method, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string req = method + " " + target +
                          " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

// Starts `keel sim` (argv ends with its options) and returns the port it listens on (0 on
// failure), read from its "listening on 127.0.0.1:PORT" line; its later stdout is drained by a
// forked reader so it never blocks on a full pipe.
inline int start_sim(const std::vector<std::string>& argv, pid_t* pid, bool echo) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  *pid = spawn(argv, fds[1], -1);
  close(fds[1]);
  FILE* in = fdopen(fds[0], "r");
  char line[512];
  int port = 0;
  while (port == 0 && std::fgets(line, sizeof line, in) != nullptr) {
    if (echo) std::fputs(line, stdout);
    if (const char* p = std::strstr(line, "listening on 127.0.0.1:")) port = std::atoi(p + 23);
  }
  if (fork() == 0) {
    while (std::fgets(line, sizeof line, in) != nullptr) {}
    _exit(0);
  }
  std::fclose(in);
  return port;
}

// Plain decimal string ("-12.345") -> 1e-8 units, exact for up to 8 decimals.
inline int64_t e8(std::string_view s) {
  int64_t whole = 0, frac = 0;
  int digits = 0;
  const bool neg = !s.empty() && s[0] == '-';
  size_t i = neg ? 1 : 0;
  for (; i < s.size() && s[i] != '.'; ++i) whole = whole * 10 + (s[i] - '0');
  for (++i; i < s.size() && digits < 8; ++i, ++digits) frac = frac * 10 + (s[i] - '0');
  for (; digits < 8; ++digits) frac *= 10;
  const int64_t v = whole * 100'000'000 + frac;
  return neg ? -v : v;
}

// The loopback engine config every driver writes: one grid task on BTCUSDT against keel sim on
// `port` (keel sim's default account, keys from KEEL_SIM_KEY / KEEL_SIM_SECRET).
// The task "grid1" runs `task_yaml` (its strategy and params, YAML lines indented for a task
// entry); by default the grid of config/paper-btcusdt-grid.yaml.
inline std::string loopback_config(int port, int64_t reconcile_every_ms,
                                   uint64_t snapshot_every_records,
                                   const std::string& task_yaml = "") {
  const std::string host = "127.0.0.1:" + std::to_string(port);
  return "instrument: {symbol: BTCUSDT, base_asset: BTC, quote_asset: USDT,"
         " tick_size: \"0.01\", step_size: \"0.00001\", min_notional: \"5\"}\n"
         "snapshot_every_records: " + std::to_string(snapshot_every_records) + "\n"
         "exchange:\n  kind: binance\n  rest_url: http://" + host + "\n  ws_url: ws://" + host +
         "\n  ws_api_url: ws://" + host + "/ws-api/v3\n  api_key_env: KEEL_SIM_KEY\n"
         "  api_secret_env: KEEL_SIM_SECRET\n  reconcile_every_ms: " +
         std::to_string(reconcile_every_ms) + "\n"
         "tasks:\n  - id: grid1\n" +
         (task_yaml.empty() ? "    strategy: grid\n    params: {price_interval:"
                              " \"5\", order_quantity: \"0.002\", buy_window_size: 5,"
                              " sell_window_size: 5, max_open_orders: 20}\n"
                            : task_yaml);
}

}  // namespace keel::testsupport
