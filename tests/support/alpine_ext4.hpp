#pragma once
// A real Alpine root filesystem for the direct engine's tests, without any VM: the minirootfs
// fixture unpacked and made into ext4 by mke2fs -d (as Alpine's images are ext4), with a file of
// two names and an extended attribute the way a distribution's root may have them.
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "common/util/process.hpp"
#include "temp_dir.hpp"
#include "test_paths.hpp"

namespace trustnet::test {

inline const char* kMke2fs = "/sbin/mke2fs";
inline const char* kDebugfs = "/sbin/debugfs";
inline const char* kE2fsck = "/sbin/e2fsck";

// The filesystem's image file (the bytes of one partition); `features` go to mke2fs -O.
inline std::filesystem::path make_alpine_ext4(const TempDir& dir, const std::string& name = "root.ext4",
                                              const std::string& size = "96M", const std::string& features = "") {
  const std::filesystem::path tree = dir / (name + ".tree"), image = dir / name;
  std::filesystem::create_directories(tree);
  run_checked({"tar", "-xzf", minirootfs().string(), "-C", tree.string(), "--numeric-owner"});
  std::filesystem::create_hard_link(tree / "etc/motd", tree / "etc/motd.second-name");
  std::vector<std::string> mkfs = {kMke2fs, "-q", "-F", "-t", "ext4", "-L", "root", "-d", tree.string()};
  if (!features.empty()) mkfs.insert(mkfs.end(), {"-O", features});
  mkfs.insert(mkfs.end(), {image.string(), size});
  run_checked_with_env(mkfs, {{"E2FSPROGS_FAKE_TIME", "1600000000"}});
  run_checked({kDebugfs, "-w", "-R", "ea_set /etc/motd user.trustnet kept", image.string()});
  std::filesystem::remove_all(tree);
  return image;
}

// What debugfs says about a path (its inode, times, attributes).
inline std::string debugfs(const std::filesystem::path& image, const std::string& request) {
  return run_checked({kDebugfs, "-R", request, image.string()});
}

inline ProcessResult e2fsck_check(const std::filesystem::path& image) {
  return run_process({kE2fsck, "-fn", image.string()});
}

}  // namespace trustnet::test
