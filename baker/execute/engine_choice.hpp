#pragma once
// Which engine takes an image, decided in one place for a bake and for a listing read back: the
// ext4 engine whenever the choice allows it and the base's root is one it edits (its split disk
// made in a scratch folder), else libguestfs, with the line that says why (execute/bake_engine.hpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "baker/execute/bake_engine.hpp"
#include "baker/execute/ext4/direct_disk.hpp"

namespace trustnet::baker {

struct EngineChoice {
  std::optional<DirectDisk> direct;     // set when the ext4 engine takes the image: its split disk
  std::optional<std::string> fallback;  // why libguestfs takes it under `auto`
};

// With `ext4` a base the ext4 engine refuses is an Error naming why; with `guestfs` nothing is
// tried and `scratch` is not used.
EngineChoice choose_engine(BakeEngine wanted, const std::filesystem::path& base, const std::string& format,
                           uint64_t base_bytes, const std::filesystem::path& scratch, uint64_t disk_bytes);

}  // namespace trustnet::baker
