#include "baker/execute/space_watchdog.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "common/util/error.hpp"
#include "support/temp_dir.hpp"
#include "support/tmpfs_mount.hpp"

using namespace trustnet;
using namespace trustnet::baker;
using namespace std::chrono_literals;

namespace {

SpaceWatchdog::Options recording(std::atomic<int>& calls, std::string& reason, std::mutex& mutex) {
  return {20ms, 3, [&](const std::string& why) {
            std::lock_guard lock(mutex);
            reason = why;
            ++calls;
          }};
}

}  // namespace

TEST_CASE("the stall detector fires only after the given samples in a row are below the limit and unchanged") {
  StallDetector detector(1000, 3);
  CHECK_FALSE(detector.add(5000));
  CHECK_FALSE(detector.add(10));
  CHECK_FALSE(detector.add(10));
  CHECK_FALSE(detector.add(4000));  // space came back: start again
  CHECK_FALSE(detector.add(10));
  CHECK_FALSE(detector.add(10));
  CHECK_FALSE(detector.add(8));  // still being written: not stalled
  CHECK_FALSE(detector.add(8));
  CHECK(detector.add(8));
}

TEST_CASE("the space watchdog reports a full filesystem once, naming the folder and the space needed") {
  test::TempDir dir;
  test::TmpfsMount small(dir / "small", 2 << 20);
  REQUIRE(small.fill(small.path() / "filler") > (1 << 20));
  CHECK(writable_bytes(small.path()) < SpaceWatchdog::kFullBelow);

  std::atomic<int> calls{0};
  std::string reason;
  std::mutex mutex;
  {
    SpaceWatchdog watchdog(small.path(), 300ULL << 20, recording(calls, reason, mutex));
    for (int i = 0; i < 250 && calls == 0; ++i) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(100ms);
    CHECK_THROWS_WITH_AS(watchdog.throw_if_full(), doctest::Contains("is full"), Error);
  }
  CHECK(calls == 1);
  std::lock_guard lock(mutex);
  CHECK(reason.find("the filesystem of " + small.path().string() + " is full (0 B free)") == 0);
  CHECK(reason.find("it needs about 300.0 MiB free") != std::string::npos);
}

TEST_CASE("the space watchdog stays quiet while there is room, and stops at once when destroyed") {
  test::TempDir dir;
  test::TmpfsMount roomy(dir / "roomy", 8 << 20);
  std::atomic<int> calls{0};
  std::string reason;
  std::mutex mutex;
  const auto started = std::chrono::steady_clock::now();
  {
    SpaceWatchdog watchdog(roomy.path(), 1 << 20, recording(calls, reason, mutex));
    std::this_thread::sleep_for(200ms);
    CHECK_NOTHROW(watchdog.throw_if_full());
  }
  CHECK(calls == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // the destructor does not wait out an interval
}

TEST_CASE("a bake that needs more than the folder has free is refused before it starts, naming both sizes") {
  test::TempDir dir;
  test::TmpfsMount small(dir / "small", 4 << 20);
  try {
    require_free_space(small.path(), 100ULL << 20, "baking node", "a copy of the base");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == ExitCode::bad_input);
    CHECK(std::string(e.what()) == small.path().string() +
                                       " has 4.0 MiB free, but baking node needs about 100.0 MiB (a copy of the base); "
                                       "free some space or bake with "
                                       "--out elsewhere");
  }
  CHECK_NOTHROW(require_free_space(small.path(), 1 << 20, "baking node", "a copy of the base"));
}
