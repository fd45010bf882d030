#include "baker/execute/ext4/ext4_root.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "baker/execute/overlay_tar.hpp"
#include "baker/output/content_listing.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "support/alpine_ext4.hpp"
#include "support/random_bytes.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kNow = 1700000000;  // 0x6553f100 in debugfs' stat

std::string inode_line(const fs::path& image, const std::string& path) {
  const std::string stat = test::debugfs(image, "stat " + path);
  return stat.substr(0, stat.find('\n'));  // "Inode: N   Type: ..."
}

}  // namespace

TEST_CASE("the direct engine reads the Alpine root as the kernel would resolve it") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  Ext4Root root(image, false, kNow);
  CHECK(root.type() == "ext4");
  CHECK(root.unsupported_features().empty());
  CHECK(root.is_dir("/etc"));
  CHECK(root.is_symlink("/bin/sh"));
  CHECK_FALSE(root.is_dir("/bin/sh"));
  CHECK(root.exists("/bin/sh"));
  CHECK_FALSE(root.exists("/etc/nothing-here"));
  CHECK_FALSE(root.read_file("/bin/sh"));  // a link, not a file
  CHECK(root.read_file("/etc/os-release")->find("ID=alpine") != std::string::npos);
  CHECK(root.read_through_links("/bin/sh", 4) ==
        "\x7f"
        "ELF");
  CHECK(root.read_through_links("/etc/../etc/./os-release", 64)->starts_with("NAME="));
  const RootStat motd = root.lstat("/etc/motd");
  CHECK((motd.mode & 0777) == 0644);
  CHECK(motd.links == 2);
  CHECK(root.other_names("/etc/motd") == std::vector<std::string>{"/etc/motd.second-name"});
  const auto found = root.glob("/etc/apk/*");
  CHECK(std::is_sorted(found.begin(), found.end()));
  CHECK(std::find(found.begin(), found.end(), "/etc/apk/repositories") != found.end());
  CHECK(root.glob("/etc/ssh/ssh_host_*").empty());
  CHECK_THROWS_WITH_AS(root.write_file("/etc/motd", "x"), doctest::Contains("read-only"), Error);
}

TEST_CASE("the direct engine rewrites a file in place: its inode and other names stay, its extended attributes go") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  const std::string before = inode_line(image, "/etc/motd");
  // A file capability on a file the recipe replaces, and on one it empties.
  dir.write("capability",
            std::string("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20));
  for (const char* path : {"/bin/busybox", "/etc/shells"})
    run_checked({test::kDebugfs, "-w", "-R",
                 fmt::format("ea_set -f {} {} security.capability", (dir / "capability").string(), path),
                 image.string()});
  REQUIRE(test::debugfs(image, "ea_list /bin/busybox").find("security.capability") != std::string::npos);
  {
    Ext4Root root(image, true, kNow);
    root.write_file("/etc/motd", "rewritten\n");
    root.upload(dir / "capability", "/bin/busybox");
    root.truncate("/etc/shells");
    root.close();
  }
  CHECK(inode_line(image, "/etc/motd") == before);
  CHECK(test::debugfs(image, "ea_list /etc/motd").find("user.trustnet") == std::string::npos);
  CHECK(test::debugfs(image, "ea_list /bin/busybox").find("security.capability") == std::string::npos);
  CHECK(test::debugfs(image, "ea_list /etc/shells").find("security.capability") == std::string::npos);
  Ext4Root again(image, false, kNow);
  CHECK(again.read_file("/etc/motd.second-name") == "rewritten\n");
  CHECK(test::e2fsck_check(image).exit_status == 0);
}

TEST_CASE("the direct engine makes, links and removes, and e2fsck -fn finds nothing to fix") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  const std::string binary = test::random_bytes(3 << 20, 27);
  const fs::path local = dir.write("binary", binary);
  {
    Ext4Root root(image, true, kNow);
    root.mkdir("/opt/trustnet");
    root.upload(local, "/opt/trustnet/binary");
    root.lchown(100, 101, "/opt/trustnet/binary");
    root.chmod(0750, "/opt/trustnet/binary");
    // Enough names to need more blocks for the folder.
    for (int i = 0; i < 300; ++i) root.write_file(fmt::format("/opt/trustnet/file-with-a-long-name-{:04}", i), "x");
    root.symlink("/opt/trustnet/binary", "/usr/bin/trustnet");
    root.symlink("/opt/trustnet/binary", "/usr/bin/trustnet");  // again: replaced, not an error
    root.write_file("/etc/hostname", "node\n");
    root.symlink("busybox", "/etc/hostname");  // a file replaced by a link
    root.remove("/etc/motd.second-name");
    root.remove("/etc/not-there");  // absent: nothing to do
    root.remove_tree("/etc/apk");
    root.remove_tree("/lib/apk");
    root.truncate("/etc/issue");
    CHECK_THROWS_WITH_AS(root.remove("/etc"), doctest::Contains("folder"), Error);
    CHECK_THROWS_WITH_AS(root.mkdir("/no/such/parent"), doctest::Contains("does not exist"), Error);
    root.symlink("/etc/nowhere", "/etc/dangling");
    CHECK_THROWS_WITH_AS(root.write_file("/etc/dangling", "x"), doctest::Contains("a file the image does not have"),
                         Error);
    root.close();
  }
  const ProcessResult check = test::e2fsck_check(image);
  INFO(check.out);
  CHECK(check.exit_status == 0);
  Ext4Root root(image, false, kNow);
  CHECK(root.read_file("/opt/trustnet/binary") == binary);
  CHECK(root.read_through_links("/usr/bin/trustnet", 16) == binary.substr(0, 16));
  const RootStat st = root.lstat("/opt/trustnet/binary");
  CHECK(st.uid == 100);
  CHECK(st.gid == 101);
  CHECK((st.mode & 07777) == 0750);
  CHECK((root.lstat("/opt/trustnet").mode & 07777) == 0755);
  CHECK(root.glob("/opt/trustnet/file-*").size() == 300);
  CHECK(root.is_symlink("/etc/hostname"));
  CHECK(root.lstat("/etc/motd").links == 1);
  CHECK_FALSE(root.exists("/etc/apk"));
  CHECK(root.read_file("/etc/issue") == "");
}

TEST_CASE("the direct engine gives what it writes, and the folders it writes into, the time it was given") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  {
    Ext4Root root(image, true, kNow);
    root.write_file("/etc/trustnet", "x");
    root.close();
  }
  for (const char* path : {"/etc/trustnet", "/etc"}) {
    const std::string stat = test::debugfs(image, fmt::format("stat {}", path));
    INFO(stat);
    for (const char* field : {"ctime: 0x6553f100", "atime: 0x6553f100", "mtime: 0x6553f100"})
      CHECK(stat.find(field) != std::string::npos);
  }
  CHECK(test::debugfs(image, "stat /etc/trustnet").find("crtime: 0x6553f100") != std::string::npos);
}

TEST_CASE("the direct engine packs its tree for the listing and unpacks an overlay without writing through links") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  dir.write("overlay/etc/conf.d/trustnet", "setting=1\n");
  dir.write("overlay/bin/sh", "not a link any more\n");
  fs::create_symlink("trustnet", dir / "overlay/etc/conf.d/alias");
  const OverlayArchive archive =
      write_overlay_tar(dir / "overlay", "/", 1000, 1000, dir / "overlay.tar", std::optional<int64_t>(kNow));
  {
    Ext4Root root(image, true, kNow);
    root.mkdir("/etc/conf.d");  // the archive holds no folders: the executor makes the missing ones
    root.unpack_tar(dir / "overlay.tar", "/");
    root.pack_tar(dir / "root.tar");
    root.close();
  }
  CHECK(test::e2fsck_check(image).exit_status == 0);
  Ext4Root root(image, false, kNow);
  CHECK(root.read_file("/etc/conf.d/trustnet") == "setting=1\n");
  CHECK(root.lstat("/etc/conf.d/trustnet").uid == 1000);
  CHECK(root.is_symlink("/etc/conf.d/alias"));
  CHECK(root.read_file("/bin/sh") == "not a link any more\n");
  CHECK(root.read_through_links("/bin/busybox", 4) ==
        "\x7f"
        "ELF");  // the link's target was left alone
  const std::string listing = mtree_from_tar(dir / "root.tar");
  CHECK(listing.find("./etc/conf.d/trustnet ") != std::string::npos);
  CHECK(listing.find("./etc/motd.second-name ") != std::string::npos);  // a hard link, listed as a file
  // Extended attributes are listed, under both names of the file that has them.
  const std::string kept = "xattrs=user.trustnet:" + sha256_hex("kept").substr(0, 16);
  const Listing parsed = parse_mtree(listing, "root.tar");
  CHECK(parsed.at("./etc/motd").keywords.at("xattrs") == kept.substr(7));
  CHECK(parsed.at("./etc/motd.second-name").keywords.at("xattrs") == kept.substr(7));
  CHECK_FALSE(parsed.at("./etc/passwd").keywords.contains("xattrs"));
  CHECK(archive.entries.size() == 3);
}

TEST_CASE("the direct engine names the features it does not edit") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir, "root.ext4", "96M", "casefold");
  Ext4Root root(image, false, kNow);
  CHECK(root.unsupported_features() == std::vector<std::string>{"casefold"});
  // On by default in e2fsprogs 1.47 and later: resize2fs 1.47.0 leaves it damaged.
  const fs::path orphans = test::make_alpine_ext4(dir, "orphans.ext4", "96M", "orphan_file");
  CHECK(Ext4Root(orphans, false, kNow).unsupported_features() == std::vector<std::string>{"orphan_file"});
}

TEST_CASE("a root with a folder cycle, or folders nested without end, is refused by the walk, not followed") {
  test::TempDir dir;
  // A folder entry leading back to a folder above it, as a damaged or crafted root may hold.
  const fs::path cyclic = test::make_alpine_ext4(dir, "cyclic.ext4");
  run_checked({test::kDebugfs, "-w", "-R", "ln /etc /etc/apk/loop", cyclic.string()});
  {
    Ext4Root root(cyclic, false, kNow);
    CHECK_THROWS_WITH_AS(root.pack_tar(dir / "cyclic.tar"),
                         doctest::Contains("/etc/apk/loop in cyclic.ext4 is a folder met before"), Error);
  }
  // 300 folders, one in the other.
  const fs::path tree = dir / "deep";
  fs::path folder = tree;
  for (int i = 0; i < 300; ++i) folder /= "d";
  fs::create_directories(folder);
  const fs::path deep = dir / "deep.ext4";
  run_checked({test::kMke2fs, "-q", "-F", "-t", "ext4", "-d", tree.string(), deep.string(), "16M"});
  Ext4Root root(deep, false, kNow);
  CHECK_THROWS_WITH_AS(root.pack_tar(dir / "deep.tar"), doctest::Contains("folders nested deeper than 256 levels"),
                       Error);
}

TEST_CASE("a sparse file is packed as one, holes left out, and a file bigger than its filesystem is refused") {
  test::TempDir dir;
  const fs::path tree = dir / "tree";
  fs::create_directories(tree / "var/log");
  const std::string head = "first block\n", tail = "last block\n";
  {
    std::ofstream out(tree / "var/log/lastlog", std::ios::binary);
    out << head;
    out.seekp((64 << 20) - static_cast<std::streamoff>(tail.size()));
    out << tail;
  }
  const std::string digest = sha256_file(tree / "var/log/lastlog");
  const fs::path image = dir / "sparse.ext4";
  run_checked({test::kMke2fs, "-q", "-F", "-t", "ext4", "-d", tree.string(), image.string(), "128M"});
  {
    Ext4Root root(image, false, kNow);
    root.pack_tar(dir / "sparse.tar");
  }
  CHECK(fs::file_size(dir / "sparse.tar") < (1 << 20));  // not the 64 MiB of the file's length
  const Listing listing = parse_mtree(mtree_from_tar(dir / "sparse.tar"), "sparse.tar");
  CHECK(listing.at("./var/log/lastlog").keywords.at("size") == std::to_string(64 << 20));
  CHECK(listing.at("./var/log/lastlog").keywords.at("sha256digest") == digest);

  // 2 GiB of apparent size on a 16 MiB filesystem.
  fs::resize_file(tree / "var/log/lastlog", 2ULL << 30);
  const fs::path hostile = dir / "hostile.ext4";
  run_checked({test::kMke2fs, "-q", "-F", "-t", "ext4", "-d", tree.string(), hostile.string(), "16M"});
  Ext4Root root(hostile, false, kNow);
  CHECK_THROWS_WITH_AS(root.pack_tar(dir / "hostile.tar"),
                       doctest::Contains("/var/log/lastlog in hostile.ext4 holds 2147483648 bytes, more than the whole "
                                         "filesystem"),
                       Error);
}

TEST_CASE("a file the bake reads to edit is bounded: an /etc/passwd of 17 MiB is refused, not read into memory") {
  test::TempDir dir;
  const fs::path tree = dir / "tree";
  fs::create_directories(tree / "etc");
  { std::ofstream(tree / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"; }
  fs::resize_file(tree / "etc/passwd", 17 << 20);
  const fs::path image = dir / "big.ext4";
  run_checked({test::kMke2fs, "-q", "-F", "-t", "ext4", "-d", tree.string(), image.string(), "64M"});
  Ext4Root root(image, false, kNow);
  CHECK_THROWS_WITH_AS(root.read_file("/etc/passwd"),
                       doctest::Contains("read /etc/passwd: it holds 17.0 MiB, more than the 16.0 MiB a file the bake "
                                         "reads to edit may hold"),
                       Error);
}
