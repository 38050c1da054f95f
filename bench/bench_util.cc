// Timing, percentiles, formatting, child processes and scratch files (bench/bench_util.h).
#include "bench_util.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace keel::bench {

namespace fs = std::filesystem;

namespace {

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t timeval_ns(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv.tv_usec) * 1000;
}

std::string vfmt(const char* format, va_list ap) {
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  return std::string(buf, n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

// Redirects fd `target` to `path` (append) in a forked child; _exit(127) when it cannot.
void redirect_or_die(int target, const char* path) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0 || dup2(fd, target) < 0) _exit(127);
  ::close(fd);
}

// fork + exec with stdout to `out_fd` (-1: the log), stderr to the log; waits.
Result<int> spawn(const std::vector<std::string>& argv, const std::string& log_path, int out_fd,
                  ChildUsage* usage) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (out_fd >= 0 && dup2(out_fd, 1) < 0) _exit(127);
    if (!log_path.empty()) {
      if (out_fd < 0) redirect_or_die(1, log_path.c_str());
      redirect_or_die(2, log_path.c_str());
    }
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return Status::IOError(std::string("wait4: ") + std::strerror(errno));
  }
  if (usage != nullptr) {
    usage->max_rss_kib = ru.ru_maxrss;
    usage->cpu_ns = timeval_ns(ru.ru_utime) + timeval_ns(ru.ru_stime);
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  const int code = WEXITSTATUS(status);
  if (code == 127) return Status::IOError("cannot run " + argv[0] + " (exit 127)");
  return code;
}

}  // namespace

int64_t now_ns() { return clock_ns(CLOCK_MONOTONIC); }
int64_t thread_cpu_ns() { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
int64_t process_cpu_ns() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

Summary summarize(std::vector<int64_t>& v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) {  // nearest rank: the smallest value with >= p of the samples
    const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.p999 = rank(0.999);
  s.max = v.back();
  double sum = 0;
  for (int64_t x : v) sum += static_cast<double>(x);
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::string fmt(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  std::string s = vfmt(format, ap);
  va_end(ap);
  return s;
}

std::string fmt_ns(double ns) {
  if (ns >= 1e9) return fmt("%.3g s", ns / 1e9);
  if (ns >= 1e6) return fmt("%.3g ms", ns / 1e6);
  if (ns >= 1e3) return fmt("%.3g us", ns / 1e3);
  return fmt("%.0f ns", ns);
}

std::string fmt_rate(double per_s) {
  std::string digits = fmt("%.0f", per_s);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fmt_ratio(double x) { return fmt(x >= 10 ? "%.1fx" : "%.2fx", x); }

void progress(const char* section, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  const std::string text = vfmt(format, ap);
  va_end(ap);
  std::fprintf(stderr, "keel bench: [%s] %s\n", section, text.c_str());
}

Result<int> run_child(const std::vector<std::string>& argv, const std::string& log_path,
                      ChildUsage* usage) {
  return spawn(argv, log_path, -1, usage);
}

Result<int> run_child_capture(const std::vector<std::string>& argv, const std::string& log_path,
                              std::string& out, ChildUsage* usage) {
  char tmpl[] = "/tmp/keel-bench-out-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return Status::IOError(std::string("mkstemp: ") + std::strerror(errno));
  ::unlink(tmpl);
  Result<int> r = spawn(argv, log_path, fd, usage);
  out.clear();
  char buf[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return r;
}

Status make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  return Status::Ok();
}

void remove_tree(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError(path + ": cannot write");
  return Status::Ok();
}

std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  while (n > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    if (pos + 1 < text.size()) --n;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

Result<std::vector<std::string>> read_capture_lines(const std::vector<std::string>& files) {
  std::vector<std::string> lines;
  std::vector<char> buf(1 << 20);
  for (const std::string& path : files) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (gz == nullptr) return Status::NotFound(path + ": cannot open");
    std::string partial;
    int n = 0;
    while ((n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
      partial.append(buf.data(), static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (nl > start) lines.emplace_back(partial, start, nl - start);
      }
      partial.erase(0, start);
    }
    gzclose(gz);
    if (n < 0) return Status::IOError(path + ": gzip read error");
    if (!partial.empty()) lines.push_back(std::move(partial));
  }
  return lines;
}

}  // namespace keel::bench
