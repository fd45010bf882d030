#pragma once
// e2fsck's verdict on a golden image's root filesystem, read without changing the image.
#include <filesystem>
#include <string>

#include "common/util/process.hpp"

namespace trustnet::test {

// e2fsck -fn on the root partition (the last) of a qcow2 image, without changing it.
inline ProcessResult root_filesystem_check(const std::filesystem::path& image) {
  const std::filesystem::path raw = image.string() + ".check.raw";
  run_checked({"qemu-img", "convert", "-q", "-O", "raw", image.string(), raw.string()});
  const std::string table = run_checked({"/sbin/sfdisk", "-J", raw.string()});
  const auto start = table.rfind("\"start\":");
  const uint64_t first = std::stoull(table.substr(start + 8));
  ProcessResult result = run_process({"/sbin/e2fsck", "-fn", raw.string() + "?offset=" + std::to_string(first * 512)});
  std::filesystem::remove(raw);
  return result;
}

}  // namespace trustnet::test
