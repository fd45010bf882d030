#include "baker/execute/archive_member.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

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
  run_checked(
      {"sh", "-c", "cd " + dir.path().string() + "/pkg && ln -s cometbft link && tar czf ../rel.tar.gz cometbft link"});
  CHECK_THROWS_WITH(extract_member(dir / "rel.tar.gz", "link", dir / "o"), doctest::Contains("not a regular file"));
  CHECK_THROWS_WITH(extract_member(dir / "rel.tar.gz", "nothere", dir / "o"),
                    doctest::Contains("has no member nothere"));
  run_checked({"sh", "-c", "cd " + dir.path().string() + "/pkg && zip -q ../rel.zip cometbft"});
  CHECK(extract_member(dir / "rel.zip", "cometbft", dir / "z") == sha256_hex("binary"));
  CHECK(read_text_file(dir / "z") == "binary");
}

namespace {

// Releases with hostile members, written by Python's tarfile and zipfile, which store names as given.
void make_hostile_releases(const test::TempDir& dir) {
  dir.write("make.py", R"(import io, sys, tarfile, zipfile
def add(tar, name, data=b"payload", kind=tarfile.REGTYPE, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, target, 0o755
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
with tarfile.open(sys.argv[1] + "/hostile.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tar:
    add(tar, "cometbft", b"the real binary")
    add(tar, "../escape")
    add(tar, "/etc/absolute")
    add(tar, "a/../../up")
    add(tar, "symlinked", kind=tarfile.SYMTYPE, target="/bin/sh")
    add(tar, "hardlinked", kind=tarfile.LNKTYPE, target="cometbft")
    add(tar, "twice", b"first")
    add(tar, "twice", b"second")
with zipfile.ZipFile(sys.argv[1] + "/hostile.zip", "w") as z:
    z.writestr("cometbft", b"the real binary")
    z.writestr("../escape", b"payload")
    z.writestr("/etc/absolute", b"payload")
    link = zipfile.ZipInfo("symlinked")
    link.external_attr = (0o120777 << 16)
    link.create_system = 3
    z.writestr(link, "/bin/sh")
)");
  run_checked({"python3", (dir / "make.py").string(), dir.path().string()});
}

}  // namespace

TEST_CASE("hostile members of a tar.gz release are refused: escaping names, absolute names, links, duplicates") {
  test::TempDir dir;
  make_hostile_releases(dir);
  const auto tar = dir / "hostile.tar.gz";
  CHECK(extract_member(tar, "cometbft", dir / "ok") == sha256_hex("the real binary"));
  CHECK_THROWS_WITH(extract_member(tar, "escape", dir / "o"),
                    doctest::Contains("member escape is stored as '../escape', a path that escapes the archive"));
  CHECK_THROWS_WITH(extract_member(tar, "etc/absolute", dir / "o"),
                    doctest::Contains("stored as '/etc/absolute', a path that escapes"));
  CHECK_THROWS_WITH(extract_member(tar, "up", dir / "o"), doctest::Contains("stored as 'a/../../up'"));
  CHECK_THROWS_WITH(extract_member(tar, "symlinked", dir / "o"),
                    doctest::Contains("member symlinked is a link, not a regular file"));
  CHECK_THROWS_WITH(extract_member(tar, "hardlinked", dir / "o"),
                    doctest::Contains("member hardlinked is a link, not a regular file"));
  CHECK_THROWS_WITH(extract_member(tar, "twice", dir / "o"), doctest::Contains("member twice appears more than once"));
}

TEST_CASE("hostile members of a zip release are refused the same way") {
  test::TempDir dir;
  make_hostile_releases(dir);
  const auto zip = dir / "hostile.zip";
  CHECK(extract_member(zip, "cometbft", dir / "ok") == sha256_hex("the real binary"));
  CHECK(read_text_file(dir / "ok") == "the real binary");
  CHECK_THROWS_WITH(extract_member(zip, "escape", dir / "o"),
                    doctest::Contains("stored as '../escape', a path that escapes"));
  CHECK_THROWS_WITH(extract_member(zip, "etc/absolute", dir / "o"),
                    doctest::Contains("stored as '/etc/absolute', a path that escapes"));
  CHECK_THROWS_WITH(extract_member(zip, "symlinked", dir / "o"),
                    doctest::Contains("member symlinked is a link, not a regular file"));
}

TEST_CASE("bytes that are no archive give an error, not a crash (found by fuzzing: libarchive gave no reason)") {
  test::TempDir dir;
  const auto junk = dir.write("junk.tar.gz", std::string("\x1f\x8b\x08\x00garbage", 12));
  CHECK_THROWS_AS(extract_member(junk, "cometbft", dir / "out"), Error);
  const auto regression = test::source_dir() / "tests/fuzz/corpus/archive_member";
  for (const auto& entry : std::filesystem::directory_iterator(regression))
    if (entry.path().filename().string().starts_with("regression-"))
      CHECK_THROWS_AS(extract_member(entry.path(), "cometbft", dir / "out"), Error);
}
