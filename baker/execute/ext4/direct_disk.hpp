#pragma once
// The direct engine's disk: the base split into three raw files so that the root partition can be
// checked, grown and edited as a file of its own (resize2fs truncates a regular file to the
// filesystem's size, so it must never see the partitions before the root's), and joined again
// into one qcow2 at the end. No appliance, no kernel, no privileges.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "baker/execute/bake_engine.hpp"
#include "baker/execute/ext4/gpt_growth.hpp"

namespace trustnet::baker {

struct DirectDisk {
  std::filesystem::path head;  // bytes 0 up to the root partition: the tables and the partitions before it
  std::filesystem::path root;  // the root partition, the last one on the disk
  std::filesystem::path tail;  // after the root partition to the end of the disk (the backup GPT)
  uint32_t sector_size = 512;
  GptPartition root_partition;
  uint64_t disk_bytes = 0;  // the working disk's size
};

// Thrown when the base is well formed but its layout is one the direct engine does not edit (no
// GPT, a root that is not the last partition or not ext2/3/4, a feature it does not handle).
struct DirectEngineRefusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a refusal means under `engine`: with `ext4` an Error naming it; otherwise the line that
// says libguestfs takes the image over, and why.
std::string libguestfs_fallback(BakeEngine engine, const DirectEngineRefusal& refusal);

// Converts `base` (of virtual size `base_bytes`) into `folder` (raw, sparse) and splits it;
// `disk_bytes` is the size the disk will have (at least the base's). Checks the root partition's
// filesystem can be edited here.
DirectDisk split_base(const std::filesystem::path& base, const std::string& format, uint64_t base_bytes,
                      const std::filesystem::path& folder, uint64_t disk_bytes);

// Joins the three files into a qcow2 at `image`, written with fixed options so that the same
// bytes in give the same bytes out.
void join_to_qcow2(const DirectDisk& disk, const std::filesystem::path& image);

// Runs e2fsck on the root partition: `repair` (-fy: replays a journal, fixes what it can; a
// failure is an Error) or a check that changes nothing (-fn: any finding is an Error naming it).
// Every time it writes is `now`.
void check_root(const DirectDisk& disk, bool repair, int64_t now);

// Grows the root partition to the end of the disk (GPT in the head and the tail) and its
// filesystem to fill it (resize2fs), then sets the reserved blocks as the kernel's online resize
// would have; returns the filesystem's new size in bytes.
uint64_t grow_root(DirectDisk& disk, int64_t now);

}  // namespace trustnet::baker
