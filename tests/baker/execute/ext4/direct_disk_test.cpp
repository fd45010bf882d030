#include "baker/execute/ext4/direct_disk.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/ext4/online_resize.hpp"
#include "baker/execute/path_glob.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "support/alpine_ext4.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMiB = 1 << 20;

// A base laid out like Alpine's cloud image: an EFI system partition, then the ext4 root to the
// end of the disk, as qcow2.
fs::path make_base(const test::TempDir& dir, const fs::path& root_fs, const std::string& name = "base.qcow2") {
  const fs::path raw = dir / (name + ".raw");
  const uint64_t root_start = 2048 + 8192;  // sectors
  std::ofstream(raw).close();
  fs::resize_file(raw, root_start * 512 + fs::file_size(root_fs) + 64 * 512);
  run_checked({"sgdisk", "-n", "1:2048:+4M", "-t", "1:EF00", "-c", "1:esp", "-n", "2:0:0", "-t", "2:8300", "-c",
               "2:root", raw.string()});
  run_checked({"dd", "if=" + root_fs.string(), "of=" + raw.string(), "bs=512", fmt::format("seek={}", root_start),
               "conv=notrunc,sparse", "status=none"});
  const fs::path base = dir / name;
  run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.string(), base.string()});
  fs::remove(raw);
  return base;
}

// The base split for a 512 MiB disk.
DirectDisk split(const fs::path& base, const fs::path& folder) {
  return split_base(base, "qcow2", qemu_image_info(base, "qcow2").virtual_size, folder, 512 * kMiB);
}

}  // namespace

TEST_CASE("the direct engine's disk: split, grown like the kernel grows it, checked and joined into a qcow2") {
  test::TempDir dir;
  const fs::path base = make_base(dir, test::make_alpine_ext4(dir, "root.ext4", "64M"));
  const std::string base_sha256 = sha256_file(base);
  fs::create_directories(dir / "work");
  DirectDisk disk = split(base, dir / "work");
  CHECK(disk.root_partition.number == 2);
  CHECK(disk.sector_size == 512);
  const int64_t now = 1700000000;
  check_root(disk, true, now);
  uint64_t old_blocks = 0, old_reserved = 0;
  {
    const Ext4Geometry g = Ext4Root(disk.root, false, now).geometry();
    old_blocks = g.blocks;
    old_reserved = g.reserved_blocks;
  }
  const uint64_t size = grow_root(disk, now);
  CHECK(size > 400 * kMiB);
  check_root(disk, false, now);
  const Ext4Geometry grown = Ext4Root(disk.root, false, now).geometry();
  CHECK(grown.reserved_blocks == online_resize_reserved_blocks(old_reserved, old_blocks, grown.blocks,
                                                               grown.blocks_per_group, grown.groups_per_flex));
  join_to_qcow2(disk, dir / "out.qcow2");
  CHECK(qemu_image_info(dir / "out.qcow2", "qcow2").virtual_size == 512 * kMiB);
  CHECK(sha256_file(base) == base_sha256);  // the base is only read

  // What others see in the joined disk: the root partition to the end, its filesystem clean.
  run_checked({"qemu-img", "convert", "-q", "-O", "raw", (dir / "out.qcow2").string(), (dir / "out.raw").string()});
  const std::string table = run_checked({"sgdisk", "-v", (dir / "out.raw").string()});
  CHECK(table.find("No problems found") != std::string::npos);
  const std::string layout = run_checked({"sgdisk", "-i", "2", (dir / "out.raw").string()});
  CHECK(layout.find(fmt::format("Last sector: {}", 512 * kMiB / 512 - 34)) != std::string::npos);
  const uint64_t offset = disk.root_partition.first_lba * 512;
  CHECK(run_process({test::kE2fsck, "-fn", fmt::format("{}?offset={}", (dir / "out.raw").string(), offset)})
            .exit_status == 0);
}

TEST_CASE("the direct engine refuses, with the reason, the roots it does not edit") {
  test::TempDir dir;
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  // A filesystem on the whole disk: no partition table to grow.
  const fs::path bare = dir / "bare.qcow2";
  run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2",
               test::make_alpine_ext4(dir, "bare.ext4", "64M").string(), bare.string()});
  CHECK_THROWS_WITH_AS(split(bare, dir / "a"), "the base has no GPT", DirectEngineRefusal);
  const fs::path folded = make_base(dir, test::make_alpine_ext4(dir, "folded.ext4", "64M", "casefold"), "f.qcow2");
  CHECK_THROWS_WITH_AS(split(folded, dir / "b"),
                       doctest::Contains("uses casefold, which the direct engine does not edit"), DirectEngineRefusal);
  // Features newer than this libext2fs: one it could read but not write, one it cannot open.
  for (const auto& [feature, expected] :
       {std::pair{"FEATURE_R30", "uses FEATURE_R30, which the direct engine does not edit"},
        std::pair{"FEATURE_I31", "libext2fs cannot open the root filesystem"}}) {
    const fs::path root_fs = test::make_alpine_ext4(dir, fmt::format("{}.ext4", feature), "64M");
    run_checked({test::kDebugfs, "-w", "-R", fmt::format("feature {}", feature), root_fs.string()});
    const fs::path newer = make_base(dir, root_fs, fmt::format("{}.qcow2", feature));
    fs::create_directories(dir / feature);
    CHECK_THROWS_WITH_AS(split(newer, dir / feature), doctest::Contains(expected), DirectEngineRefusal);
  }
}

TEST_CASE("reserved blocks after growing are what Linux's online resize leaves") {
  // Measured: the realistic base's root (179200 blocks, 8960 reserved, 16 groups a flex group)
  // grown by the kernel in a libguestfs appliance to 13074171 blocks kept 524050 reserved.
  CHECK(online_resize_reserved_blocks(8960, 179200, 13074171, 32768, 16) == 524050);
  CHECK(online_resize_reserved_blocks(8960, 179200, 179200, 32768, 16) == 8960);
  // Within the last group only: the kernel extends the group and reserves nothing more.
  CHECK(online_resize_reserved_blocks(100, 2000, 3000, 32768, 16) == 100);
}

TEST_CASE("glob over a tree that is not the host's matches like glob(3)") {
  const std::map<std::string, std::vector<std::string>> folders = {
      {"/", {"etc"}},
      {"/etc", {".hidden", "ssh", "runlevels"}},
      {"/etc/ssh", {"ssh_host_rsa_key", "ssh_host_rsa_key.pub", "sshd_config"}},
      {"/etc/runlevels", {"boot", "default"}},
      {"/etc/runlevels/boot", {"cloud-init-local", "networking"}},
      {"/etc/runlevels/default", {"cloud-init", "sshd"}}};
  GlobTree tree;
  tree.list = [&](const std::string& folder) -> std::optional<std::vector<std::string>> {
    auto found = folders.find(folder);
    if (found == folders.end()) return std::nullopt;
    return found->second;
  };
  tree.exists = [&](const std::string& path) {
    const fs::path p(path);
    auto parent = folders.find(p.parent_path().string());
    return parent != folders.end() &&
           std::count(parent->second.begin(), parent->second.end(), p.filename().string()) > 0;
  };
  CHECK(expand_glob("/etc/ssh/ssh_host_*", tree) ==
        std::vector<std::string>{"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"});
  CHECK(expand_glob("/etc/runlevels/*/cloud-init*", tree) ==
        std::vector<std::string>{"/etc/runlevels/boot/cloud-init-local", "/etc/runlevels/default/cloud-init"});
  CHECK(expand_glob("/etc/*", tree) ==
        std::vector<std::string>{"/etc/runlevels", "/etc/ssh"});  // a leading dot needs a dot
  CHECK(expand_glob("/etc/ssh/sshd_config", tree) == std::vector<std::string>{"/etc/ssh/sshd_config"});
  CHECK(expand_glob("/etc/ssh/missing", tree).empty());
  CHECK(expand_glob("relative/*", tree).empty());
}

TEST_CASE("a root whose journal needs recovery is not edited before e2fsck has replayed it") {
  test::TempDir dir;
  DirectDisk disk;
  disk.root = test::make_alpine_ext4(dir, "root.ext4", "64M");
  run_checked({"/sbin/debugfs", "-w", "-R", "feature needs_recovery", disk.root.string()});
  CHECK_THROWS_WITH_AS(Ext4Root(disk.root, true, 1700000000), doctest::Contains("a journal that needs recovery"),
                       Error);
  check_root(disk, true, 1700000000);
  CHECK(run_checked({"/sbin/dumpe2fs", "-h", disk.root.string()}).find("needs_recovery") == std::string::npos);
  Ext4Root root(disk.root, true, 1700000000);
  root.write_file("/etc/hostname", "node\n");
  root.close();
  check_root(disk, false, 1700000000);
}
