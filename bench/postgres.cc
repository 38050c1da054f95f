// PostgreSQL as a durable system (bench/durable.h): a private server started for the run.
//
// Life cycle: initdb (trust auth, user keel) and pg_ctl start into <dir>/data, listening on a free
// port of 127.0.0.1 and on a unix socket in <dir>; the bench connects through the socket.
// synchronous_commit=on and fsync=on are set explicitly (they are also the defaults).
// Stopping: the destructor runs `pg_ctl stop -m fast`. In case this process dies first (a crash,
// kill -9, Ctrl-C), a watchdog child forked before the server starts waits on a pipe; when the
// pipe closes without the "stopped" byte it runs the same pg_ctl stop. As root, initdb and the
// server run as the `postgres` user (runuser), in directories chowned to it.
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bench_util.h"
#include "durable.h"

namespace keel::bench {

namespace fs = std::filesystem;

namespace {

// A free TCP port on 127.0.0.1 (bound, read, released; the server takes it a moment later).
Result<int> free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) return Status::IOError(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  return static_cast<int>(ntohs(a.sin_port));
}

// Runs pg_ctl stop when this process goes away without saying it already stopped the server.
class Watchdog {
 public:
  ~Watchdog() { disarm(); }
  Status arm(const std::vector<std::string>& stop_argv, const std::string& log_path) {
    args_ = stop_argv;
    std::vector<char*> argv;
    for (std::string& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Status::IOError("pipe2 failed");
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ < 0) return Status::IOError("fork failed");
    if (pid_ == 0) watch(fds[0], fds[1], log, argv.data());  // never returns
    ::close(fds[0]);
    if (log >= 0) ::close(log);
    wfd_ = fds[1];
    return Status::Ok();
  }
  // The server is stopped: tell the watchdog to exit quietly.
  void disarm() {
    if (pid_ <= 0) return;
    const char x = 'x';
    (void)!::write(wfd_, &x, 1);
    ::close(wfd_);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  // In the forked child: only async-signal-safe calls until exec.
  [[noreturn]] static void watch(int rfd, int wfd, int log, char** argv) {
    ::setsid();  // out of the terminal's process group: a Ctrl-C reaches us as a closed pipe
    ::close(wfd);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    char c = 0;
    ssize_t n = 0;
    do {
      n = ::read(rfd, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1 && c == 'x') ::_exit(0);
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int wfd_ = -1;
};

class Postgres final : public DurableSystem {
 public:
  Postgres(std::string dir, std::string bin) : dir_(std::move(dir)), bin_(std::move(bin)) {}
  ~Postgres() override { stop_server(); }
  std::string name() const override { return "PostgreSQL sync_commit=on"; }
  std::string how() const override { return how_; }
  Status start(int writers) override;
  Status commit(int w) override;
  void stop() override {}  // connections stay open across rounds; the server stops at the end

 private:
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;
  Status start_server();
  Status write_settings(int port);
  Status connect_one();
  Status create_table(PGconn* c);
  void stop_server();
  std::string pg_ctl_log() const { return dir_ + "/pg_ctl.log"; }

  std::string dir_, bin_;
  std::string how_ = "PostgreSQL (server not started)";
  std::string conninfo_;
  bool running_ = false;
  Status start_error_;
  Watchdog watchdog_;
  std::vector<PGconn*> conns_;
  std::string bytes_ = sample_intent_bytes();
};

std::vector<std::string> Postgres::as_postgres(std::vector<std::string> argv) const {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {
      fs::exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser", "-u", "postgres",
      "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Status Postgres::write_settings(int port) {
  const std::string conf = dir_ + "/data/postgresql.conf";
  std::string text = read_file(conf);
  text +=
      fmt("\n# keel bench\nport = %d\nlisten_addresses = '127.0.0.1'\n"
          "unix_socket_directories = '%s'\nfsync = on\nsynchronous_commit = on\n"
          "full_page_writes = on\nshared_buffers = 64MB\nmax_connections = 20\n",
          port, dir_.c_str());
  return write_file(conf, text);
}

Status Postgres::start_server() {
  KEEL_RETURN_IF_ERROR(make_dirs(dir_));
  if ((dir_ + "/.s.PGSQL.65535").size() > 100) {
    return Status::InvalidArgument(dir_ + ": too long for a unix socket path; use a shorter --dir");
  }
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) return Status::NotFound("user postgres (needed to run the server as root)");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Status::IOError("chown " + dir_ + ": " + std::strerror(errno));
    }
  }
  progress("durable", "PostgreSQL: initdb in %s", dir_.c_str());
  auto rc = run_child(as_postgres({bin_ + "/initdb", "-D", dir_ + "/data", "-A", "trust", "-U",
                                   "keel", "-E", "UTF8", "--locale=C", "--no-sync"}),
                      dir_ + "/initdb.log");
  if (!rc.ok()) return rc.status();
  if (*rc != 0)
    return Status::IOError("initdb failed:\n" + tail_lines(read_file(dir_ + "/initdb.log"), 5));
  auto port = free_port();
  if (!port.ok()) return port.status();
  KEEL_RETURN_IF_ERROR(write_settings(*port));
  KEEL_RETURN_IF_ERROR(watchdog_.arm(
      as_postgres({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}),
      pg_ctl_log()));
  running_ = true;  // from here on, stop_server() tries a stop even if start fails half-way
  progress("durable", "PostgreSQL: starting on 127.0.0.1:%d and %s/.s.PGSQL.%d", *port,
           dir_.c_str(), *port);
  rc = run_child(as_postgres({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log",
                              "-w", "-t", "60", "start"}),
                 pg_ctl_log());
  if (!rc.ok()) return rc.status();
  if (*rc != 0)
    return Status::IOError("pg_ctl start failed:\n" +
                           tail_lines(read_file(dir_ + "/server.log"), 5));
  conninfo_ = fmt("host=%s port=%d dbname=postgres user=keel", dir_.c_str(), *port);
  return Status::Ok();
}

void Postgres::stop_server() {
  for (PGconn* c : conns_) PQfinish(c);
  conns_.clear();
  if (!running_) return;
  running_ = false;
  progress("durable", "PostgreSQL: stopping");
  auto rc =
      run_child(as_postgres({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}),
                pg_ctl_log());
  if (rc.ok() && *rc == 0) watchdog_.disarm();  // else the watchdog tries again as we exit
}

Status Postgres::create_table(PGconn* c) {
  PGresult* r = PQexec(c,
                       "CREATE TABLE intents(seq bigserial PRIMARY KEY, task text NOT NULL, "
                       "body bytea NOT NULL)");
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return Status::IOError(std::string("libpq create table: ") + PQerrorMessage(c));
  return Status::Ok();
}

Status Postgres::connect_one() {
  PGconn* c = PQconnectdb(conninfo_.c_str());
  conns_.push_back(c);
  if (PQstatus(c) != CONNECTION_OK)
    return Status::IOError(std::string("libpq: ") + PQerrorMessage(c));
  if (conns_.size() == 1) KEEL_RETURN_IF_ERROR(create_table(c));
  const Oid types[2] = {25, 17};  // text, bytea
  PGresult* r = PQprepare(c, "ins", "INSERT INTO intents(task, body) VALUES($1, $2)", 2, types);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return Status::IOError(std::string("libpq prepare: ") + PQerrorMessage(c));
  return Status::Ok();
}

Status Postgres::start(int writers) {
  if (!start_error_.ok()) return start_error_;  // one failed start is the verdict for all cells
  if (!running_) {
    start_error_ = start_server();
    KEEL_RETURN_IF_ERROR(start_error_);
    KEEL_RETURN_IF_ERROR(connect_one());
    PGresult* r = PQexec(conns_[0], "SHOW wal_sync_method");
    const std::string sync_method = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?";
    PQclear(r);
    how_ =
        fmt("PostgreSQL %d (private server, unix socket), synchronous_commit=on, fsync=on, "
            "wal_sync_method=%s: one autocommit prepared INSERT (task, %zu-byte bytea) per "
            "intent; one connection per writer",
            PQserverVersion(conns_[0]) / 10000, sync_method.c_str(), bytes_.size());
  }
  while (conns_.size() < static_cast<size_t>(writers)) KEEL_RETURN_IF_ERROR(connect_one());
  return Status::Ok();
}

Status Postgres::commit(int w) {
  PGconn* c = conns_[static_cast<size_t>(w)];
  const std::string task = "grid" + std::to_string(w + 1);
  const char* values[2] = {task.c_str(), bytes_.data()};
  const int lengths[2] = {0, static_cast<int>(bytes_.size())};
  const int formats[2] = {0, 1};
  PGresult* r = PQexecPrepared(c, "ins", 2, values, lengths, formats, 0);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return Status::IOError(std::string("libpq insert: ") + PQerrorMessage(c));
  return Status::Ok();
}

}  // namespace

std::string find_pg_bin() {
  std::string best;
  int best_v = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = e.path().string() + "/bin";
    const int v = std::atoi(e.path().filename().c_str());
    if (v > best_v && fs::exists(bin + "/initdb") && fs::exists(bin + "/pg_ctl")) {
      best = bin;
      best_v = v;
    }
  }
  return best;
}

std::unique_ptr<DurableSystem> make_postgres(const std::string& dir, const std::string& pg_bin) {
  return std::make_unique<Postgres>(dir, pg_bin);
}

}  // namespace keel::bench
