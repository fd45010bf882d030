#include "common/util/sha256.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"

using namespace trustnet;

TEST_CASE("sha256 of known strings matches the FIPS 180-2 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 of a file larger than the read buffer equals the digest of its bytes") {
  test::TempDir dir;
  std::string content(3 * (1 << 20) + 17, 'x');
  auto file = dir.write("big", content);
  CHECK(sha256_file(file) == sha256_hex(content));
}

TEST_CASE("sha256 of a missing file is an error naming it") {
  CHECK_THROWS_WITH(sha256_file("/nonexistent/file"), doctest::Contains("/nonexistent/file"));
}
