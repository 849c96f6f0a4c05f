#include "db/EmbeddedPostgres.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/Files.h"
#include "common/Hash.h"
#include "common/Log.h"
#include "common/Strings.h"
#include "db/Connection.h"

namespace tributary::db {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the terminating NUL

bool canReach(const process::Identity& who, const fs::path& path, int mode) {
  if (who.uid == ::geteuid()) return ::access(path.c_str(), mode) == 0;
  process::SpawnOptions o;
  o.argv = {"/usr/bin/test", mode & W_OK ? "-w" : "-x", path.string()};
  o.runAs = who;
  try {
    return process::run(o).ok();
  } catch (...) {
    return false;
  }
}

void chownTo(const fs::path& p, const process::Identity& who) {
  if (::geteuid() != 0) return;
  if (::chown(p.c_str(), who.uid, who.gid) != 0) {
    throw std::runtime_error("cannot give " + p.string() + " to user " + who.name + ": " + std::strerror(errno));
  }
}

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  // Reap it first if it is our own exited child, which kill(0) would still find.
  ::waitpid(pid, nullptr, WNOHANG);
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

std::optional<pid_t> postmasterPid(const fs::path& dataDir) {
  std::ifstream in(dataDir / "postmaster.pid");
  long pid = 0;
  if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
  return std::nullopt;
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(Options options) : options_(std::move(options)) {
  options_.stateDir = fs::absolute(options_.stateDir).lexically_normal();
  socketDir_ = socketDirFor(options_.stateDir);
}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (child_ && options_.lifetime == Lifetime::Child) {
    try {
      stop();
    } catch (...) {
    }
  }
}

fs::path EmbeddedPostgres::socketDirFor(const fs::path& stateDir) {
  fs::path preferred = fs::absolute(stateDir).lexically_normal() / "run";
  std::string probe = (preferred / ".s.PGSQL.65535").string();
  if (probe.size() <= kMaxSocketPath) return preferred;
  std::string h = hash::sha256Hex(fs::absolute(stateDir).lexically_normal().string()).substr(0, 12);
  return fs::path("/tmp") / ("tributary-" + std::to_string(::geteuid()) + "-" + h);
}

std::string EmbeddedPostgres::conninfoFor(const fs::path& stateDir, const config::EmbeddedDatabaseConfig& settings,
                                          const std::string& database) {
  return "host=" + strings::conninfoQuote(socketDirFor(stateDir).string()) +
         " port=" + std::to_string(settings.tcpPort > 0 ? settings.tcpPort : kSocketPort) + " user=" + kSuperuser +
         " dbname=" + strings::conninfoQuote(database.empty() ? settings.database : database);
}

std::string EmbeddedPostgres::conninfo(const std::string& database) const {
  return conninfoFor(options_.stateDir, options_.settings, database);
}

fs::path EmbeddedPostgres::findBinDir(const fs::path& configured) {
  if (!configured.empty()) {
    if (fs::exists(configured / "postgres")) return configured;
    throw std::runtime_error("database.embedded.bin_dir " + configured.string() +
                             " holds no postgres binary: point it at PostgreSQL's server "
                             "binaries, or install the Debian package postgresql");
  }
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    auto bin = e.path() / "bin";
    if (!fs::exists(bin / "postgres") || !fs::exists(bin / "initdb")) continue;
    try {
      found.emplace_back(std::stoi(e.path().filename().string()), bin);
    } catch (...) {
    }
  }
  if (found.empty()) {
    throw std::runtime_error(
        "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: install the Debian "
        "package postgresql (sudo apt-get install -y postgresql), set "
        "database.embedded.bin_dir, or set database.url to use an existing server");
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

bool EmbeddedPostgres::clusterUserCanReach(const fs::path& dir, const config::EmbeddedDatabaseConfig& settings) {
  auto who = process::currentIdentity();
  if (process::runningAsRoot()) {
    auto user = process::lookupUser(settings.user);
    if (!user) return false;
    who = *user;
  }
  return canReach(who, dir, X_OK);
}

void EmbeddedPostgres::resolveIdentity() {
  owner_ = process::currentIdentity();
  if (process::runningAsRoot()) {
    auto user = process::lookupUser(options_.settings.user);
    if (!user) {
      throw std::runtime_error("the embedded PostgreSQL runs as user \"" + options_.settings.user +
                               "\" when tributary runs as root, and there is no such user: "
                               "install the Debian package postgresql (which creates it), or set "
                               "database.embedded.user");
    }
    if (user->uid == 0) {
      throw std::runtime_error("database.embedded.user must not be root: PostgreSQL refuses it");
    }
    runAs_ = user;
    owner_ = *user;
  }
}

void EmbeddedPostgres::prepareDirectories() {
  std::error_code ec;
  const auto& state = options_.stateDir;
  if (!fs::exists(state)) {
    fs::create_directories(state, ec);
    if (ec) throw std::runtime_error("cannot create state_dir " + state.string() + ": " + ec.message());
    // The cluster's account must pass through; nobody needs to list it.
    if (runAs_) ::chmod(state.c_str(), 0711);
  }
  if (!canReach(owner_, state, X_OK)) {
    throw std::runtime_error("user " + owner_.name + ", which runs the embedded PostgreSQL, cannot reach state_dir " +
                             state.string() +
                             ": a directory on its path is not searchable by that user. Put state_dir "
                             "where it can reach (for example /var/lib/tributary), or open the path with chmod o+x");
  }
  for (const auto& dir : {dataDir(), socketDir_}) {
    if (!fs::exists(dir)) {
      fs::create_directories(dir, ec);
      if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
      chownTo(dir, owner_);
      ::chmod(dir.c_str(), 0700);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      throw std::runtime_error("cannot stat " + dir.string() + ": " + std::strerror(errno));
    }
    if (st.st_uid != owner_.uid) {
      if (dir == socketDir_ && ::geteuid() == 0) {
        chownTo(dir, owner_);
      } else {
        throw std::runtime_error(dir.string() + " belongs to uid " + std::to_string(st.st_uid) +
                                 ", but the embedded PostgreSQL runs as " + owner_.name +
                                 ": give it to that user (chown -R " + owner_.name + " " + dir.string() +
                                 ") or use another state_dir");
      }
    }
    if (dir == socketDir_ && (st.st_mode & 077) != 0) ::chmod(dir.c_str(), 0700);
  }
}

void EmbeddedPostgres::initdbIfNeeded() {
  if (fs::exists(dataDir() / "PG_VERSION")) return;
  log::info("postgres", "initializing a new cluster in {} (runs as {})", dataDir().string(), owner_.name);
  process::SpawnOptions o;
  o.argv = {(binDir_ / "initdb").string(),
            "-D",
            dataDir().string(),
            "-U",
            kSuperuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C"};
  if (options_.unsafeFastSettings) o.argv.push_back("--no-sync");
  o.runAs = runAs_;
  o.workingDir = "/";
  auto r = process::run(o);
  if (!r.ok()) {
    throw std::runtime_error("initdb failed (" + process::describeStatus(r.status) + ") for " + dataDir().string() +
                             ":\n" + r.output);
  }
  initializedNow_ = true;
}

void EmbeddedPostgres::waitForPreviousPostmaster() {
  auto pid = postmasterPid(dataDir());
  if (!pid || !processAlive(*pid)) return;
  log::info("postgres", "waiting for the previous PostgreSQL (pid {}) on {} to shut down", *pid, dataDir().string());
  auto deadline = std::chrono::steady_clock::now() + options_.settings.startTimeout;
  while (processAlive(*pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (processAlive(*pid) && postmasterPid(dataDir()) == pid) {
    throw std::runtime_error("a PostgreSQL (pid " + std::to_string(*pid) + ") still runs on " + dataDir().string() +
                             " and no tributary holds its state_dir: stop it (kill -INT " + std::to_string(*pid) +
                             ") and start again");
  }
}

void EmbeddedPostgres::launch() {
  process::SpawnOptions o;
  std::string listen = options_.settings.tcpPort > 0 ? "127.0.0.1" : "";
  // The port also names the socket file, so clients compute it the same way (conninfoFor).
  int port = options_.settings.tcpPort > 0 ? options_.settings.tcpPort : kSocketPort;
  o.argv = {(binDir_ / "postgres").string(),
            "-D",
            dataDir().string(),
            "-k",
            socketDir_.string(),
            "-p",
            std::to_string(port),
            "-c",
            "listen_addresses=" + listen,
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            "max_connections=" + std::to_string(options_.maxConnections),
            "-c",
            "logging_collector=off"};
  if (options_.unsafeFastSettings) {
    for (const char* s : {"fsync=off", "synchronous_commit=off", "full_page_writes=off", "shared_buffers=128MB",
                          "max_connections=300"}) {
      o.argv.push_back("-c");
      o.argv.push_back(s);
    }
  }
  o.runAs = runAs_;
  o.outputFile = logFile().string();
  o.workingDir = "/";
  // Its own process group, so that a terminal's Ctrl-C reaches the host alone, which stops its
  // workers and only then the database; a child cluster still goes when the host dies.
  o.newProcessGroup = true;
  if (options_.lifetime == Lifetime::Child) o.parentDeathSignal = SIGINT;
  child_ = process::Child::spawn(o);
}

void EmbeddedPostgres::waitUntilReady() {
  const std::string ping = conninfo("postgres") + " connect_timeout=2";
  auto deadline = std::chrono::steady_clock::now() + options_.settings.startTimeout;
  while (true) {
    if (PQping(ping.c_str()) == PQPING_OK) return;
    if (auto st = child_->poll()) {
      child_.reset();
      throw std::runtime_error("PostgreSQL " + process::describeStatus(*st) + " while starting; " + logFile().string() +
                               " ends with:\n" + logTail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("PostgreSQL did not accept connections within " +
                               std::to_string(options_.settings.startTimeout.count() / 1000) + " s; see " +
                               logFile().string() + ":\n" + logTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void EmbeddedPostgres::ensureDatabase() {
  Connection c(conninfo("postgres"));
  auto r = c.exec("SELECT 1 FROM pg_database WHERE datname = $1", options_.settings.database);
  if (r.empty()) {
    c.execScript("CREATE DATABASE " + strings::quoteIdent(options_.settings.database));
    log::info("postgres", "created database {}", options_.settings.database);
  }
}

std::string EmbeddedPostgres::logTail() const {
  try {
    std::string text = files::readFile(logFile());
    auto lines = strings::split(text, '\n');
    size_t from = lines.size() > 15 ? lines.size() - 15 : 0;
    std::vector<std::string> tail(lines.begin() + static_cast<long>(from), lines.end());
    return strings::join(tail, "\n");
  } catch (...) {
    return "(no log)";
  }
}

void EmbeddedPostgres::start() {
  if (child_) return;
  binDir_ = findBinDir(options_.settings.binDir);
  resolveIdentity();
  prepareDirectories();
  initdbIfNeeded();
  waitForPreviousPostmaster();
  launch();
  waitUntilReady();
  ensureDatabase();
  log::info("postgres", "embedded PostgreSQL ready on {} (data {})", socketDir_.string(), dataDir().string());
}

bool EmbeddedPostgres::running() const { return child_ && !const_cast<process::Child&>(*child_).poll(); }

void EmbeddedPostgres::stop() {
  if (!child_) return;
  child_->signal(SIGINT);
  if (!child_->waitFor(std::chrono::seconds(30))) {
    log::warn("postgres", "PostgreSQL did not stop within 30 s of a fast shutdown; sending SIGQUIT");
    child_->signal(SIGQUIT);
    child_->wait();
  }
  child_.reset();
  log::info("postgres", "embedded PostgreSQL stopped");
}

bool EmbeddedPostgres::stopDetached(const fs::path& stateDir, std::chrono::milliseconds timeout) {
  auto pid = postmasterPid(stateDir / "postgres");
  if (!pid || !processAlive(*pid)) return false;
  ::kill(*pid, SIGINT);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (processAlive(*pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(*pid, SIGQUIT);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace tributary::db
