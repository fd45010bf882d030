#include "baker/execute/overlay_tar.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

struct TarEntry {
  std::string type;
  unsigned mode = 0;
  long uid = -1, gid = -1;
  std::string uname, content, link;
  long long mtime = 0;
};

std::map<std::string, TarEntry> read_tar(const fs::path& file) {
  ArchiveReader reader(archive_read_new());
  archive_read_support_format_tar(reader.get());
  REQUIRE(archive_read_open_filename(reader.get(), file.c_str(), 4096) == ARCHIVE_OK);
  std::map<std::string, TarEntry> entries;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    TarEntry e;
    e.type = archive_entry_filetype(entry) == AE_IFLNK   ? "link"
             : archive_entry_filetype(entry) == AE_IFREG ? "file"
                                                         : "other";
    e.mode = archive_entry_perm(entry);
    e.uid = archive_entry_uid(entry);
    e.gid = archive_entry_gid(entry);
    e.uname = archive_entry_uname(entry) ? archive_entry_uname(entry) : "";
    e.mtime = archive_entry_mtime(entry);
    if (archive_entry_symlink(entry)) e.link = archive_entry_symlink(entry);
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0)
      e.content.append(buffer, static_cast<size_t>(n));
    entries[archive_entry_pathname(entry)] = e;
  }
  return entries;
}

}  // namespace

TEST_CASE("an overlay becomes a tar with checkout-independent modes, numeric owners from the recipe and no folders") {
  test::TempDir dir;
  auto src = dir / "overlay";
  dir.write("overlay/etc/motd", "hello\n");
  dir.write("overlay/usr/local/bin/tool", "#!/bin/sh\n");
  fs::permissions(src / "usr/local/bin/tool", fs::perms(0750));
  fs::create_directories(src / "var/secret");
  fs::permissions(src / "var/secret", fs::perms(0700));
  fs::create_symlink("motd", src / "etc/issue");

  OverlayArchive archive = write_overlay_tar(src, "/", 1100, 1100, dir / "o.tar", 1700000000, {{"/var/secret", 0700}});
  auto entries = read_tar(dir / "o.tar");
  REQUIRE(entries.size() == 3);
  CHECK(entries["etc/motd"].content == "hello\n");
  CHECK(entries["etc/motd"].mode == 0644u);
  CHECK(entries["usr/local/bin/tool"].mode == 0755u);  // the executable bit is what git keeps
  CHECK(entries["etc/motd"].uid == 1100);
  CHECK(entries["etc/motd"].gid == 1100);
  CHECK(entries["etc/motd"].uname.empty());
  CHECK(entries["etc/motd"].mtime == 1700000000);
  CHECK(entries["etc/issue"].type == "link");
  CHECK(entries["etc/issue"].link == "motd");

  std::vector<std::string> dirs;
  for (const auto& d : archive.directories) dirs.push_back(d.path);
  CHECK(dirs == std::vector<std::string>{"/etc", "/usr", "/usr/local", "/usr/local/bin", "/var", "/var/secret"});
  CHECK(archive.directories.back().mode == 0700u);
  REQUIRE(archive.entries.size() == 3);
  CHECK(archive.entries[0].path == "/etc/issue");
  CHECK(archive.entries[1].path == "/etc/motd");
  CHECK(archive.entries[1].sha256 == sha256_hex("hello\n"));
}

TEST_CASE("the same overlay folder gives byte-identical archives") {
  test::TempDir dir;
  dir.write("overlay/a", "1");
  dir.write("overlay/b/c", "2");
  write_overlay_tar(dir / "overlay", "/opt", 0, 0, dir / "1.tar", 0);
  write_overlay_tar(dir / "overlay", "/opt", 0, 0, dir / "2.tar", 0);
  CHECK(sha256_file(dir / "1.tar") == sha256_file(dir / "2.tar"));
}

TEST_CASE("an overlay holding a device or fifo is refused") {
  test::TempDir dir;
  fs::create_directories(dir / "overlay");
  REQUIRE(::mkfifo((dir / "overlay/pipe").c_str(), 0644) == 0);
  CHECK_THROWS_WITH(write_overlay_tar(dir / "overlay", "/", 0, 0, dir / "o.tar", std::nullopt),
                    doctest::Contains("pipe"));
}

TEST_CASE(
    "overlay modes do not depend on the builder's umask, and setuid, setgid or world-writable ones need the recipe's "
    "word") {
  test::TempDir dir;
  const auto src = dir / "overlay";
  dir.write("overlay/etc/group-writable", "x");
  dir.write("overlay/etc/private", "x");
  dir.write("overlay/bin/tool", "x");
  fs::permissions(src / "etc/group-writable", fs::perms(0664));  // a checkout made with umask 002
  fs::permissions(src / "etc/private", fs::perms(0600));
  fs::permissions(src / "bin/tool", fs::perms(0775));
  fs::permissions(src / "etc", fs::perms(0775));
  write_overlay_tar(src, "/", 0, 0, dir / "o.tar", std::nullopt);
  auto entries = read_tar(dir / "o.tar");
  CHECK(entries["etc/group-writable"].mode == 0644u);
  CHECK(entries["etc/private"].mode == 0644u);  // a mode the recipe wants kept is named
  CHECK(entries["bin/tool"].mode == 0755u);
  const auto named =
      write_overlay_tar(src, "/", 0, 0, dir / "n.tar", std::nullopt, {{"/etc/private", 0600}, {"/etc", 0750}});
  CHECK(read_tar(dir / "n.tar")["etc/private"].mode == 0600u);
  CHECK(named.directories[1].path == "/etc");
  CHECK(named.directories[1].mode == 0750u);

  for (auto [mode, what] : {std::pair{04755, "04755"}, std::pair{02755, "02755"}, std::pair{0666, "0666"}}) {
    CAPTURE(what);
    fs::permissions(src / "bin/tool", fs::perms(mode));
    CHECK_THROWS_WITH_AS(write_overlay_tar(src, "/", 0, 0, dir / "o.tar", std::nullopt),
                         ("overlay file " + (src / "bin/tool").string() + " has mode " +
                          std::string(what).substr(what[0] == '0' && std::string(what).size() == 5 ? 1 : 0) +
                          " (setuid, setgid, sticky or world-writable); name the mode of /bin/tool under the overlay's "
                          "modes if it must be so")
                             .c_str(),
                         Error);
    CHECK_NOTHROW(
        write_overlay_tar(src, "/", 0, 0, dir / "o.tar", std::nullopt, {{"/bin/tool", static_cast<uint32_t>(mode)}}));
  }
  CHECK_THROWS_WITH_AS(
      write_overlay_tar(src, "/", 0, 0, dir / "o.tar", std::nullopt, {{"/bin/tool", 04755}, {"/bin/typo", 0600}}),
      ("the overlay " + src.string() + " names a mode for /bin/typo, which it does not hold").c_str(), Error);
}
