// How the supervisor caps its workers' memory: cgroup v2 when its own cgroup allows it, else
// RLIMIT_AS, and a configuration that demands cgroup v2 refuses to start without it; and a worker
// that runs out of memory under either charges none of its jobs. The cgroup here is a directory
// laid out as the kernel lays one out (see tests/unit/common/CgroupTest.cpp).
#include "app/Supervisor.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>

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

namespace {

// A stand-in for `tributary worker`: waits for the test to claim jobs in its name, then runs
// `death` (writes to the crash pipe, fd 3, and kills itself); restarted, it only sleeps.
fs::path fakeWorker(const test::TempDir& dir, const std::string& death) {
  auto script =
      dir.write("fake-worker", "#!/bin/sh\nif [ -e " + (dir / "died").string() +
                                   " ]; then exec sleep 60; fi\nwhile [ ! -e " + (dir / "go").string() +
                                   " ]; do sleep 0.02; done\ntouch " + (dir / "died").string() + "\n" + death + "\n");
  fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  return script;
}

// Starts one worker under `sup`, claims three jobs in its name and lets it die; returns them.
std::vector<std::string> claimThreeThenDie(test::QueueDatabase& q, app::Supervisor& sup, const test::TempDir& dir,
                                           const std::function<void()>& beforeDeath = {}) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    queue::EnqueueRequest r;
    r.kind = "noop";
    r.maxAttempts = 1;  // a charged attempt would end it
    ids.push_back(q.queue->enqueue(r).jobId);
  }
  EXPECT_TRUE(test::eventually([&] { return sup.children().at(0).pid > 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(q.queue->claim(sup.children().at(0).workerId, 3).size(), 3u);
  if (beforeDeath) beforeDeath();
  dir.write("go", "");
  EXPECT_TRUE(test::eventually(
      [&] {
        for (const auto& id : ids) {
          if (q.job(id).status == queue::JobStatus::Running) return false;
        }
        return true;
      },
      std::chrono::seconds(15)));
  return ids;
}

void expectReleasedToRunAlone(test::QueueDatabase& q, const std::vector<std::string>& ids, const std::string& cause) {
  for (const auto& id : ids) {
    auto j = q.job(id);
    EXPECT_EQ(j.status, queue::JobStatus::Pending) << id;
    EXPECT_EQ(j.attempts, 0) << "no attempt used";
    EXPECT_TRUE(j.runAlone);
    ASSERT_EQ(j.errors.size(), 1u) << j.errors.dump();
    EXPECT_EQ(j.errors[0]["kind"], "oom_released");
    EXPECT_NE(j.errors[0]["error"].get<std::string>().find(cause), std::string::npos) << j.errors[0]["error"];
  }
}

}  // namespace

TEST(SupervisorOutOfMemory, ACgroupOomKillChargesNoneOfTheWorkersJobs) {
  test::QueueDatabase q;
  FakeCgroupHost h;
  test::TempDir dir;
  auto o = options(h, "cgroup");
  o.processes = 1;
  o.executable = fakeWorker(dir, "kill -KILL $$");
  app::Supervisor sup(o, q.queue);
  sup.start();
  auto ids = claimThreeThenDie(q, sup, dir, [&] {
    // What the kernel writes when it OOM-kills in the worker's cgroup.
    files::writeFileAtomic(h.cg / "worker-0" / "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  });
  expectReleasedToRunAlone(q, ids,
                           " killed by signal 9 (SIGKILL) by the kernel's OOM killer: over its memory cap of 256 MiB "
                           "(workers.memory_limit_mb); it runs again alone");
  sup.stop();
}

TEST(SupervisorOutOfMemory, AnOutOfMemoryReportOnTheCrashPipeChargesNoneOfTheWorkersJobs) {
  test::QueueDatabase q;
  FakeCgroupHost h;
  test::TempDir dir;
  auto o = options(h, "rlimit");
  o.processes = 1;
  // What the worker's terminate handler writes for a std::bad_alloc nothing caught, then the
  // abort; a crash line from the thread that aborted does not make its job the culprit.
  o.executable = fakeWorker(dir, "printf 'oom -\\ncrash 00000000-0000-0000-0000-000000000000 6\\n' >&3; kill -ABRT $$");
  app::Supervisor sup(o, q.queue);
  sup.start();
  auto ids = claimThreeThenDie(q, sup, dir);
  expectReleasedToRunAlone(q, ids,
                           " killed by signal 6 (SIGABRT) after an allocation failed (std::bad_alloc) under its memory "
                           "cap of 256 MiB (workers.memory_limit_mb); it runs again alone");
  sup.stop();
}
