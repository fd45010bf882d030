#include "common/util/file_lock.hpp"

#include <doctest/doctest.h>

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
