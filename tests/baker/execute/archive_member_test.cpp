#include "baker/execute/archive_member.hpp"

#include <doctest/doctest.h>

#include "../../support/temp_dir.hpp"
#include "../../support/test_paths.hpp"
#include "common/process.hpp"
#include "common/sha256.hpp"
#include "common/text_file.hpp"

using namespace trustnet;
using namespace trustnet::baker;

TEST_CASE("a member is read out of a real .tar.gz release and its digest returned") {
  test::TempDir dir;
  std::string digest = extract_member(test::minirootfs(), "etc/alpine-release", dir / "out");
  CHECK(read_text_file(dir / "out") == "3.20.3\n");
  CHECK(digest == sha256_hex("3.20.3\n"));
}

TEST_CASE("a zip release works the same way, and a missing member or a link is refused") {
  test::TempDir dir;
  dir.write("pkg/cometbft", "binary");
  run_checked({"sh", "-c", "cd " + dir.path().string() + "/pkg && ln -s cometbft link && tar czf ../rel.tar.gz cometbft link"});
  CHECK_THROWS_WITH(extract_member(dir / "rel.tar.gz", "link", dir / "o"), doctest::Contains("not a regular file"));
  CHECK_THROWS_WITH(extract_member(dir / "rel.tar.gz", "nothere", dir / "o"), doctest::Contains("has no member nothere"));
  run_checked({"sh", "-c", "cd " + dir.path().string() + "/pkg && zip -q ../rel.zip cometbft"});
  CHECK(extract_member(dir / "rel.zip", "cometbft", dir / "z") == sha256_hex("binary"));
  CHECK(read_text_file(dir / "z") == "binary");
}
