#include "launcher/instance/golden_pin.hpp"

#include <fmt/format.h>

#include <set>

#include "common/config/rules.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/sha256.hpp"
#include "launcher/instance/instance_disk.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

fs::path pin_folder(const fs::path& state_dir) { return state_dir / "pinned"; }

fs::path pin_path(const fs::path& state_dir, const std::string& sha256) {
  return pin_folder(state_dir) / (sha256 + ".qcow2");
}

void check_pin(const fs::path& pin, const std::string& sha256) {
  if (!fs::is_regular_file(pin))
    throw Error(
        fmt::format("the pinned golden image {} is missing; the disks made from it cannot start", pin.string()));
  const std::string actual = sha256_file(pin);
  if (actual != sha256)
    throw Error(
        fmt::format("the pinned golden image {} has sha256 {}: it was changed after it was pinned, and the "
                    "disks made from it would read garbage",
                    pin.string(), actual));
}

fs::path pin_golden_image(const fs::path& state_dir, const GoldenRecord& golden) {
  const fs::path pin = pin_path(state_dir, golden.sha256);
  if (fs::exists(pin)) {
    check_pin(pin, golden.sha256);
    return pin;
  }
  make_private_folder(pin_folder(state_dir));
  // Hashed as it is copied: an image replaced since it was verified is never pinned under the
  // digest of the one that was.
  TemporaryPath copy(pin, fs::perms(0400));
  fs::remove(copy.path());  // copy_file_hashing creates its file itself
  const std::string copied = copy_file_hashing(golden.image, copy.path(), 0600);
  if (copied != golden.sha256)
    throw Error(fmt::format("golden image {} changed while it was pinned: it now has sha256 {}, not the verified {}",
                            golden.image.string(), copied, golden.sha256));
  copy.commit();
  return pin;
}

namespace {

// The golden image digests the system disks in the state folder, current or set aside, are made
// from, by their records and by the backing files they name.
std::set<std::string> pinned_digests(const fs::path& state_dir) {
  std::set<std::string> used;
  for (const auto& entry : fs::directory_iterator(state_dir)) {
    if (!entry.is_directory() || entry.path() == pin_folder(state_dir)) continue;
    const InstancePaths paths = InstancePaths::in(state_dir, entry.path().filename().string());
    try {
      for (const auto& origin : {system_disk_origin(paths), set_aside_origin(paths)})
        if (origin) used.insert(origin->sha256);
      // What a disk really reads, whatever its record says (a record edited by hand, or damaged).
      for (const fs::path& disk : {paths.disk, previous_folder(paths) / paths.disk.filename()}) {
        if (!fs::exists(fs::symlink_status(disk))) continue;
        const auto backing = qemu_image_info(disk, "qcow2").backing_file;
        if (!backing) continue;
        const fs::path file = fs::path(*backing).filename();
        if (file.extension() == ".qcow2") used.insert(file.stem().string());
      }
    } catch (const Error& e) {  // a pin it may need is never guessed away
      throw Error(fmt::format("{}; no pinned golden image was removed", e.what()));
    }
  }
  return used;
}

}  // namespace

std::vector<fs::path> prune_pins(const fs::path& state_dir) {
  std::vector<fs::path> removed;
  if (!fs::is_directory(pin_folder(state_dir))) return removed;
  const std::set<std::string> used = pinned_digests(state_dir);
  for (const auto& entry : fs::directory_iterator(pin_folder(state_dir))) {
    // Only what pin_golden_image makes: a pin, or the copy of one a killed process left.
    const std::string file = entry.path().filename().string();
    const bool copy = file.starts_with(".");
    const std::string pin = copy ? file.substr(1, file.find(".tmp-") - 1) : file;
    if (pin.size() != 64 + 6 || !pin.ends_with(".qcow2") || check_sha256(pin.substr(0, 64))) continue;
    if (!copy && used.contains(pin.substr(0, 64))) continue;
    fs::remove(entry.path());
    removed.push_back(entry.path());
  }
  return removed;
}

}  // namespace trustnet::launcher
