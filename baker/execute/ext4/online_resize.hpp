#pragma once
// The reserved block count Linux's online resize leaves when it grows an ext4 filesystem, so that
// a filesystem grown offline by resize2fs (which keeps the percentage exact) ends as the kernel
// would have left it: the last group is filled first without new reserved blocks, then groups
// are added up to each flex group boundary, and each batch reserves the whole per cent the
// filesystem reserved before it (integer arithmetic, so the share drifts down).
#include <cstdint>

namespace trustnet::baker {

uint64_t online_resize_reserved_blocks(uint64_t reserved, uint64_t old_blocks, uint64_t new_blocks,
                                       uint32_t blocks_per_group, uint32_t groups_per_flex);

}  // namespace trustnet::baker
