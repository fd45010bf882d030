#pragma once
// Golden images pinned by content. Every system disk is an overlay on STATE/pinned/SHA256.qcow2,
// a copy of the configured image hashed as it is made, never on the configured path itself: that
// path may be rebuilt, or replaced in place by `launch pull`, while the disks made from the old
// image (and the one an upgrade set aside for its rollback) still need the bytes they were made
// from. A pin is checked against its name before a disk on it starts, and removed once no system
// disk, current or set aside, is made from it.
#include <filesystem>
#include <string>
#include <vector>

#include "launcher/instance/golden_image.hpp"

namespace trustnet::launcher {

std::filesystem::path pin_folder(const std::filesystem::path& state_dir);
std::filesystem::path pin_path(const std::filesystem::path& state_dir, const std::string& sha256);

// The pin of `golden`, made when missing from golden.image (the copy must hash to golden.sha256,
// or nothing is kept); an existing pin is checked as check_pin does. Returns its path.
std::filesystem::path pin_golden_image(const std::filesystem::path& state_dir, const GoldenRecord& golden);

// Throws a one-line Error when `pin` is missing or its content no longer hashes to `sha256`.
void check_pin(const std::filesystem::path& pin, const std::string& sha256);

// Removes the pins (and leftover copies) that no STATE/NAME/disk.json or NAME/previous/disk.json
// is made from. The caller holds the state folder's lock. Returns what it removed.
std::vector<std::filesystem::path> prune_pins(const std::filesystem::path& state_dir);

}  // namespace trustnet::launcher
