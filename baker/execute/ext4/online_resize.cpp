#include "baker/execute/ext4/online_resize.hpp"

#include <algorithm>

namespace trustnet::baker {

// As fs/ext4/resize.c: ext4_resize_fs, ext4_setup_next_flex_gd and ext4_update_super.
uint64_t online_resize_reserved_blocks(uint64_t reserved, uint64_t old_blocks, uint64_t new_blocks,
                                       uint32_t blocks_per_group, uint32_t groups_per_flex) {
  if (new_blocks <= old_blocks || old_blocks == 0 || blocks_per_group == 0) return reserved;
  const uint64_t flex = std::max<uint32_t>(groups_per_flex, 1);
  const uint64_t old_group = (old_blocks - 1) / blocks_per_group, new_group = (new_blocks - 1) / blocks_per_group;
  uint64_t total = new_group == old_group ? new_blocks : (old_group + 1) * blocks_per_group;
  while (total < new_blocks) {
    const uint64_t group = total / blocks_per_group;
    const uint64_t last = std::min(group | (flex - 1), new_group);
    const uint64_t end = std::min((last + 1) * blocks_per_group, new_blocks);
    reserved += reserved * 100 / total * (end - total) / 100;
    total = end;
  }
  return reserved;
}

}  // namespace trustnet::baker
