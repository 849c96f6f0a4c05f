#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/Strings.h"
#include "queue/Worker.h"

using namespace tributary;

TEST(WorkerId, ProcessesSharingAHostnameAndAPidStillHaveDifferentIds) {
  // Two containers with the same hostname, each with its worker as pid 7.
  const std::string a = queue::Worker::workerId("web", 7, queue::Worker::newBootId());
  const std::string b = queue::Worker::workerId("web", 7, queue::Worker::newBootId());
  EXPECT_NE(a, b);
  auto parts = strings::split(a, ':');
  ASSERT_EQ(parts.size(), 3u) << a;
  EXPECT_EQ(parts[0], "web");
  EXPECT_EQ(parts[1], "7");
  EXPECT_EQ(parts[2].size(), 16u);
}

TEST(WorkerId, AWorkerTakesTheBootIdItsSupervisorGaveAndMakesOneAlone) {
  ::setenv("TRIBUTARY_WORKER_BOOT", "0123456789abcdef", 1);
  const std::string given = queue::Worker::processWorkerId();
  EXPECT_EQ(given.substr(given.size() - 17), ":0123456789abcdef") << given;
  EXPECT_NE(given.find(":" + std::to_string(::getpid()) + ":"), std::string::npos) << given;
  ::unsetenv("TRIBUTARY_WORKER_BOOT");
  EXPECT_NE(queue::Worker::processWorkerId(), queue::Worker::processWorkerId()) << "alone, a fresh boot id each time";
}
