// How the supervisor caps its workers' memory: cgroup v2 when its own cgroup allows it, else
// RLIMIT_AS, and a configuration that demands cgroup v2 refuses to start without it. The cgroup
// here is a directory laid out as the kernel lays one out (see tests/unit/common/CgroupTest.cpp).
#include "app/Supervisor.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "common/Files.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) { return files::tryReadFile(p).value_or(""); }

struct FakeCgroupHost {
  test::TempDir dir;
  cgroup::ProcFiles files;
  fs::path cg;

  explicit FakeCgroupHost(const std::string& controllers = "cpu memory pids\n") {
    files.mountinfo = dir.write(
        "mountinfo", "29 25 0:25 / " + (dir / "fs").string() + " rw,relatime shared:4 - cgroup2 cgroup2 rw\n");
    files.selfCgroup = dir.write("self-cgroup", "0::/tributary.service\n");
    cg = dir / "fs" / "tributary.service";
    dir.write("fs/tributary.service/cgroup.controllers", controllers);
    dir.write("fs/tributary.service/cgroup.subtree_control", "");
    dir.write("fs/tributary.service/cgroup.procs", std::to_string(::getpid()) + "\n");
  }
};

app::Supervisor::Options options(const FakeCgroupHost& h, const std::string& method) {
  app::Supervisor::Options o;
  o.processes = 2;
  o.executable = "/bin/true";  // exits at once; the supervisor restarts it, into its cgroup again
  o.memoryLimitMb = 256;
  o.memoryCap = method;
  o.procFiles = h.files;
  o.shutdownGrace = std::chrono::milliseconds(500);
  return o;
}

}  // namespace

TEST(SupervisorMemoryCap, PutsEachWorkerInItsOwnCappedCgroup) {
  test::QueueDatabase q;
  FakeCgroupHost h;
  app::Supervisor sup(options(h, "auto"), q.queue);
  sup.start();
  EXPECT_EQ(sup.memoryCapMethod(), "cgroup");
  EXPECT_EQ(slurp(h.cg / "host" / "cgroup.procs"), std::to_string(::getpid()) + "\n");
  EXPECT_EQ(slurp(h.cg / "cgroup.subtree_control"), "+memory\n");
  for (int i = 0; i < 2; ++i) {
    const fs::path w = h.cg / ("worker-" + std::to_string(i));
    EXPECT_EQ(slurp(w / "memory.max"), std::to_string(256 << 20) + "\n");
    // Every start of the worker joins, restarts included.
    EXPECT_TRUE(test::eventually(
        [&] {
          std::istringstream in(slurp(w / "cgroup.procs"));
          int pids = 0;
          std::string pid;
          while (in >> pid) ++pids;
          return pids >= 2;
        },
        std::chrono::seconds(10)))
        << slurp(w / "cgroup.procs");
  }
  sup.stop();
}

TEST(SupervisorMemoryCap, FallsBackToRlimitAndRefusesWhenCgroupIsDemanded) {
  test::QueueDatabase q;
  FakeCgroupHost h("cpu pids\n");
  {
    app::Supervisor sup(options(h, "auto"), q.queue);
    sup.start();
#if defined(__SANITIZE_ADDRESS__)
    EXPECT_EQ(sup.memoryCapMethod(), "");
#else
    EXPECT_EQ(sup.memoryCapMethod(), "rlimit");
#endif
    sup.stop();
  }
  EXPECT_FALSE(fs::exists(h.cg / "worker-0"));
  app::Supervisor strict(options(h, "cgroup"), q.queue);
  try {
    strict.start();
    FAIL() << "started without the cgroup it was told to use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("workers.memory_cap is cgroup, but cgroup v2 cannot be used: the memory "
                                         "controller is not delegated to " +
                                         h.cg.string()),
              std::string::npos)
        << e.what();
  }
  // rlimit is used as told, even where a cgroup would do.
  FakeCgroupHost ok;
  app::Supervisor sup(options(ok, "rlimit"), q.queue);
  sup.start();
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(sup.memoryCapMethod(), "rlimit");
#endif
  EXPECT_FALSE(fs::exists(ok.cg / "worker-0"));
  sup.stop();
}
