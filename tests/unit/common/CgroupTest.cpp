// The cgroup v2 memory cap, against a directory laid out as the kernel lays out a cgroup.
// The kernel's enforcement itself needs a machine whose memory controller is on cgroup v2.
#include "common/Cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "TestSupport.h"
#include "common/Files.h"
#include "common/Process.h"

using namespace tributary;
namespace fs = std::filesystem;

namespace {

const char* kMountinfo =
    "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "29 25 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

cgroup::ProcFiles procFiles(const test::TempDir& dir, const std::string& mountinfo, const std::string& selfCgroup) {
  cgroup::ProcFiles f;
  f.mountinfo = dir.write("mountinfo", mountinfo);
  f.selfCgroup = dir.write("cgroup", selfCgroup);
  return f;
}

// A cgroup directory as the kernel shows one: the controllers it may hand on, its processes.
fs::path fakeCgroup(const test::TempDir& dir, const std::string& controllers, const std::string& procs,
                    const std::string& subtreeControl = "") {
  dir.write("cg/cgroup.controllers", controllers);
  dir.write("cg/cgroup.subtree_control", subtreeControl);
  dir.write("cg/cgroup.procs", procs);
  return dir / "cg";
}

std::string slurp(const fs::path& p) { return files::tryReadFile(p).value_or(""); }

}  // namespace

TEST(Cgroup, FindsItsOwnDirectoryUnderTheUnifiedMount) {
  test::TempDir dir;
  std::string why;
  auto d = cgroup::ownCgroupDir(
      procFiles(dir, kMountinfo, "4:memory:/system.slice\n0::/system.slice/tributary.service\n"), why);
  ASSERT_TRUE(d) << why;
  EXPECT_EQ(*d, fs::path("/sys/fs/cgroup/system.slice/tributary.service"));

  // A mount of part of the hierarchy (a container's view), and an escaped mount point.
  auto e = cgroup::ownCgroupDir(
      procFiles(dir, "29 25 0:25 /docker/abc /mnt/cg\\040root rw - cgroup2 cgroup2 rw\n", "0::/docker/abc/init\n"),
      why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(*e, fs::path("/mnt/cg root/init"));

  // The root cgroup itself.
  auto r = cgroup::ownCgroupDir(procFiles(dir, kMountinfo, "0::/\n"), why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(*r, fs::path("/sys/fs/cgroup"));
}

TEST(Cgroup, SaysWhyWhenThereIsNoUnifiedHierarchy) {
  test::TempDir dir;
  std::string why;
  EXPECT_FALSE(cgroup::ownCgroupDir(procFiles(dir, kMountinfo, "4:memory:/x\n1:cpu:/\n"), why));
  EXPECT_NE(why.find("names no cgroup v2"), std::string::npos) << why;
  EXPECT_FALSE(cgroup::ownCgroupDir(
      procFiles(dir, "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "0::/x\n"), why));
  EXPECT_NE(why.find("no cgroup2 file system is mounted"), std::string::npos) << why;
}

TEST(Cgroup, MovesTheHostIntoALeafEnablesMemoryAndCapsEachWorker) {
  test::TempDir dir;
  // This process and a child of it: both are the host's, so both move.
  process::SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  auto child = process::Child::spawn(o);
  const std::string procs = std::to_string(::getpid()) + "\n" + std::to_string(child.pid()) + "\n";
  auto cg = fakeCgroup(dir, "cpuset cpu io memory pids\n", procs);

  auto caps = cgroup::WorkerMemoryCgroups::setUp(cg, 512ull << 20);
  child.signal(SIGKILL);
  child.wait();
  EXPECT_EQ(slurp(cg / "host" / "cgroup.procs"), procs);
  EXPECT_EQ(slurp(cg / "cgroup.subtree_control"), "+memory\n");

  auto joinFile = caps.prepareWorker(2);
  EXPECT_EQ(joinFile, cg / "worker-2" / "cgroup.procs");
  EXPECT_EQ(slurp(cg / "worker-2" / "memory.max"), "536870912\n");
  EXPECT_EQ(slurp(cg / "worker-2" / "memory.swap.max"), "0\n");

  // A worker joins its cgroup itself, before it runs anything.
  process::SpawnOptions w;
  w.argv = {"/bin/true"};
  w.cgroupProcsFile = joinFile.string();
  auto worker = process::Child::spawn(w);
  worker.wait();
  EXPECT_EQ(slurp(joinFile), std::to_string(worker.pid()) + "\n");

  EXPECT_EQ(caps.oomKills(2), 0u);
  dir.write("cg/worker-2/memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n");
  EXPECT_EQ(caps.oomKills(2), 1u);
}

TEST(Cgroup, NeverMovesProcessesThatAreNotTheHosts) {
  if (::getpid() == 1) GTEST_SKIP() << "this test needs a process 1 that is not itself";
  test::TempDir dir;
  auto cg = fakeCgroup(dir, "memory pids\n", "1\n" + std::to_string(::getpid()) + "\n");
  try {
    cgroup::WorkerMemoryCgroups::setUp(cg, 1 << 30);
    FAIL() << "a cgroup shared with process 1 was taken over";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("also holds process 1, which is not this host's"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Delegate=yes"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(cg / "host"));
  EXPECT_EQ(slurp(cg / "cgroup.subtree_control"), "");
}

TEST(Cgroup, UsesAnEnabledControllerWithoutMovingAnything) {
  test::TempDir dir;
  // A cgroup that hands on its controllers holds no processes (the host left for host/ before).
  auto cg = fakeCgroup(dir, "memory\n", "", "memory\n");
  auto caps = cgroup::WorkerMemoryCgroups::setUp(cg, 1 << 30);
  EXPECT_FALSE(fs::exists(cg / "host"));
  caps.prepareWorker(0);
  EXPECT_EQ(slurp(cg / "worker-0" / "memory.max"), "1073741824\n");
}

TEST(Cgroup, RefusesTheRootCgroupEvenWithItsControllerEnabled) {
  if (::getpid() == 1) GTEST_SKIP() << "this test needs a process 1 that is not itself";
  test::TempDir dir;
  // The real root: the controller is on, and the whole system's processes are in it.
  auto cg = fakeCgroup(dir, "cpu memory pids\n", "1\n2\n" + std::to_string(::getpid()) + "\n", "cpu memory pids\n");
  EXPECT_THROW(cgroup::WorkerMemoryCgroups::setUp(cg, 1 << 30), std::runtime_error);
  EXPECT_FALSE(fs::exists(cg / "worker-0"));
}

TEST(Cgroup, AProcessThatExitedMeanwhileIsSkipped) {
  test::TempDir dir;
  process::SpawnOptions o;
  o.argv = {"/bin/true"};
  auto gone = process::Child::spawn(o);
  gone.wait();  // reaped: its pid names no process now
  auto cg = fakeCgroup(dir, "memory\n", std::to_string(gone.pid()) + "\n" + std::to_string(::getpid()) + "\n");
  cgroup::WorkerMemoryCgroups::setUp(cg, 1 << 30);
  EXPECT_EQ(slurp(cg / "host" / "cgroup.procs"), std::to_string(::getpid()) + "\n");
  EXPECT_EQ(slurp(cg / "cgroup.subtree_control"), "+memory\n");
}

TEST(Cgroup, RefusesWithoutTheMemoryControllerAndNamesTheDirectory) {
  test::TempDir dir;
  auto cg = fakeCgroup(dir, "cpu pids\n", std::to_string(::getpid()) + "\n");
  try {
    cgroup::WorkerMemoryCgroups::setUp(cg, 1 << 30);
    FAIL() << "no memory controller, yet set up";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the memory controller is not delegated to " + cg.string()), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("\"cpu pids\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(cgroup::WorkerMemoryCgroups::setUp(dir / "nothing-here", 1 << 30), std::runtime_error);
}

TEST(Cgroup, AWorkerThatCannotJoinItsCgroupDoesNotStart) {
  test::TempDir dir;
  process::SpawnOptions w;
  w.argv = {"/bin/true"};
  w.cgroupProcsFile = (dir / "missing" / "cgroup.procs").string();
  try {
    process::Child::spawn(w);
    FAIL() << "started outside its cgroup";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "missing" / "cgroup.procs").string()), std::string::npos) << e.what();
  }
}
