// The PostgreSQL fixture of the test harness: `tributary-testpg start DIR` starts a throwaway
// cluster (as an unprivileged user when run as root) on a Unix socket and a free loopback port,
// and writes DIR/conninfo; `stop DIR` stops it. Every test then makes its own database.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common/Files.h"
#include "common/Hash.h"
#include "common/Log.h"
#include "common/Strings.h"
#include "db/EmbeddedPostgres.h"

namespace fs = std::filesystem;
using tributary::db::EmbeddedPostgres;

namespace {

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot find a free loopback port");
  }
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// The cluster lives in DIR when its user can reach it, else in a short private dir under /tmp
// (a checkout under /root, say, is closed to the postgres user).
fs::path clusterDir(const fs::path& dir, const tributary::config::EmbeddedDatabaseConfig& s) {
  fs::create_directories(dir);
  if (EmbeddedPostgres::clusterUserCanReach(dir, s)) return dir / "cluster";
  auto h = tributary::hash::sha256Hex(dir.string()).substr(0, 12);
  return fs::path("/tmp") / ("tributary-testpg-" + h);
}

}  // namespace

int main(int argc, char** argv) {
  tributary::log::configure(tributary::log::Level::Info, tributary::log::Format::Text);
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::cerr << "usage: tributary-testpg start|stop DIR\n";
    return 2;
  }
  const fs::path dir = fs::absolute(argv[2]).lexically_normal();
  try {
    tributary::config::EmbeddedDatabaseConfig settings;
    settings.database = "postgres";
    settings.startTimeout = std::chrono::seconds(60);
    const fs::path state = clusterDir(dir, settings);
    if (std::string(argv[1]) == "stop") {
      bool stopped = EmbeddedPostgres::stopDetached(state);
      std::error_code ec;
      fs::remove(dir / "conninfo", ec);
      std::cout << (stopped ? "stopped the test cluster in " : "no test cluster ran in ") << state.string() << "\n";
      return 0;
    }
    // A cluster left by an interrupted run is stopped first, so every run starts clean.
    EmbeddedPostgres::stopDetached(state);
    if (::geteuid() == 0) {
      fs::create_directories(state);
      ::chmod(state.c_str(), 0711);
    }
    settings.tcpPort = freeLoopbackPort();
    EmbeddedPostgres::Options o;
    o.stateDir = state;
    o.settings = settings;
    o.lifetime = EmbeddedPostgres::Lifetime::Detached;
    o.unsafeFastSettings = true;
    EmbeddedPostgres pg(o);
    pg.start();
    tributary::files::writeFileAtomic(dir / "conninfo", pg.conninfo("postgres") + "\n");
    std::cout << "test cluster ready: " << pg.conninfo("postgres") << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tributary-testpg " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
}
