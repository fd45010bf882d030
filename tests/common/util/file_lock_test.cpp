#include "common/util/file_lock.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;

TEST_CASE("a held file lock refuses a second holder until it is released") {
  test::TempDir dir;
  auto first = FileLock::try_acquire(dir / "x.lock");
  REQUIRE(first.has_value());
  CHECK_FALSE(FileLock::try_acquire(dir / "x.lock").has_value());
  first.reset();
  CHECK(FileLock::try_acquire(dir / "x.lock").has_value());
}

TEST_CASE("a lock taken within a patience waits for its holder to finish, and past it refuses naming the holder") {
  test::TempDir dir;
  auto first = FileLock::try_acquire(dir / "x.lock", "launch all");
  REQUIRE(first.has_value());
  std::string refusal;
  try {
    lock_within(dir / "x.lock", "launch run node", "the state folder", std::chrono::milliseconds(300));
  } catch (const Error& e) {
    refusal = e.what();
  }
  CHECK(refusal ==
        fmt::format("the state folder is busy: launch all (pid {}) is running; wait for it to finish", ::getpid()));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    first.reset();
  });
  const auto started = std::chrono::steady_clock::now();
  const FileLock second = lock_within(dir / "x.lock", "launch run node", "the state folder", std::chrono::seconds(30));
  release.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK(FileLock::holder(dir / "x.lock") == fmt::format("launch run node (pid {})", ::getpid()));
}
